#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/snapshot_bench.sh - heap snapshots of a big heap: bench/bigheap.c
# builds 10 M blocks of about 1 GB in all (hash chains, a cross link per
# node, integer payload), takes a snapshot of the running program
# (heaptrace_snapshot) while it goes on working, then exits (the exit
# snapshot, HEAPTRACE_SNAPSHOTS=1). From the log (bench/snapinfo.c reads
# SNAPSHOT_BEGIN/END) it reports the scan rate on one core (live bytes /
# scan_cpu_ns, the scanning child's CPU time; index_cpu_ns, the part of it
# that sorted the live blocks and built the lookup) and in wall time (scan_ns), the
# host pause per GB (pause_ns) and the log size; then the wall time and peak
# RSS of `heaptrace-report --json` on that log; and, as bench/compare.sh
# does, the recording overhead of the same build of the heap under
# heaptrace and under heaptrack. Prints a Markdown table of medians.
#
# usage: bench/snapshot_bench.sh [--quick] [--runs R]
# environment: HT_BUILD  the heaptrace build directory (default: build)
#              HT_BASE_REPORT  another heaptrace-report (a base revision's, as in
#                        bench/report_bench.sh): run on the same logs, with a
#                        "this / base" row for the analysis's wall and RSS
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out/snapshot
build=${HT_BUILD:-build}
runs=3
quick=0

usage() {
    sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"
    echo "  --quick    1 M blocks, 100 MB, one run (a smoke test, not a measurement)"
    echo "  --runs R   runs of each measurement; the median is reported (default 3)"
}
bench_on_flag() { quick=1; runs=1; }
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_options snapshot_bench.sh --quick "$@"
cd "$root"

if [ "$quick" = 1 ]; then
    blocks=1000000 bytes=100000000
else
    blocks=10000000 bytes=1000000000
fi
targets_note="targets: scan >= 1 GB/s, pause <= 50 ms/GB, analysis < 30 s and < 4 GB"

log "building heaptrace, bigheap and snapinfo ($build/), bench/runtime ($out/)"
bench_build snapshot_bench.sh "$build" heaptrace libheaptrace.so heaptrace-report bigheap snapinfo
rm -rf "$out" && mkdir -p "$out/logs" "$out/runs"
cc -O2 -Wall -Wextra -o "$out/runtime" bench/runtime.c

# timed TAG CMD...: one run under bench/runtime; leaves runs/TAG.{time,out,err}
timed() {
    local tag=$1
    shift
    "$out/runtime" "$out/runs/$tag.time" "$@" >"$out/runs/$tag.out" 2>"$out/runs/$tag.err" </dev/null || true
}

# kv FILE KEY: KEY=VALUE from a line of FILE (the first one that has it)
kv() { sed -n "s/.*\\b$2=\\([0-9.]*\\).*/\\1/p" "$1" | head -n 1; }

# report_json TAG REPORT: REPORT --json on $snaplog (run $r) under time -v
report_json() {
    /usr/bin/time -v "$2" --json "$snaplog" >"$out/runs/$1.$r.json" 2>"$out/runs/$1.$r.err" ||
        problems+=("run $r: $2 failed (see $out/runs/$1.$r.err)")
    res[$1|wall]+=" $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/runs/$1.$r.err" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')"
    res[$1|rss]+=" $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/runs/$1.$r.err")"
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
declare -A res
problems=()
prog=("$build/bigheap" "$blocks" "$bytes")
for ((r = 1; r <= runs; r++)); do
    log "run $r/$runs: native, heaptrace, heaptrack (recording only)"
    timed "native.$r" "${prog[@]}"
    timed "heaptrace.$r" env HEAPTRACE_SNAPSHOTS=0 "$build/heaptrace" -q -o "$out/logs/rec.$r.htrace" -- "${prog[@]}"
    timed "heaptrack.$r" heaptrack -o "$out/logs/rec.$r.heaptrack" "${prog[@]}"
    for mode in native heaptrace heaptrack; do
        f=$out/runs/$mode.$r
        [ "$(field "$f.time" status)" = 0 ] || problems+=("$mode run $r: exit status $(field "$f.time" status) (see $f.err)")
        res[$mode|wall]+=" $(field "$f.time" wall)"
        res[$mode|cpu]+=" $(field "$f.time" cpu)"
    done
    rm -f "$out/logs/rec.$r".*

    log "run $r/$runs: heaptrace with a running and an exit snapshot"
    snaplog=$out/logs/snap.$r.htrace
    timed "snap.$r" env HEAPTRACE_SNAPSHOTS=1 "$build/heaptrace" -q -o "$snaplog" -- "${prog[@]}" snap
    "$build/snapinfo" "$snaplog" >"$out/runs/snap.$r.info" || problems+=("snapinfo failed on run $r")
    grep -q 'reason=api' "$out/runs/snap.$r.info" || problems+=("run $r: no running-program snapshot in the log")
    grep -q 'reason=exit' "$out/runs/snap.$r.info" || problems+=("run $r: no exit snapshot in the log")
    for kind in api exit; do
        line=$(grep "reason=$kind" "$out/runs/snap.$r.info" | tail -n 1 || true)
        [ -n "$line" ] || continue
        echo "$line" >"$out/runs/snap.$r.$kind"
        res[$kind|bytes]+=" $(kv "$out/runs/snap.$r.$kind" live_bytes)"
        res[$kind|blocks]+=" $(kv "$out/runs/snap.$r.$kind" blocks)"
        res[$kind|edges]+=" $(kv "$out/runs/snap.$r.$kind" edges)"
        res[$kind|gbps]+=" $(awk -v b="$(kv "$out/runs/snap.$r.$kind" live_bytes)" -v ns="$(kv "$out/runs/snap.$r.$kind" scan_ns)" 'BEGIN { printf "%.3f", (ns > 0 ? b / ns : 0) }')"
        res[$kind|pause]+=" $(awk -v b="$(kv "$out/runs/snap.$r.$kind" live_bytes)" -v ns="$(kv "$out/runs/snap.$r.$kind" pause_ns)" 'BEGIN { printf "%.1f", (b > 0 ? ns / 1e6 / (b / 1e9) : 0) }')"
        res[$kind|scan_s]+=" $(awk -v ns="$(kv "$out/runs/snap.$r.$kind" scan_ns)" 'BEGIN { printf "%.3f", ns / 1e9 }')"
        res[$kind|cpu_gbps]+=" $(awk -v b="$(kv "$out/runs/snap.$r.$kind" live_bytes)" -v ns="$(kv "$out/runs/snap.$r.$kind" scan_cpu_ns)" 'BEGIN { printf "%.3f", (ns > 0 ? b / ns : 0) }')"
        res[$kind|cpu_s]+=" $(awk -v ns="$(kv "$out/runs/snap.$r.$kind" scan_cpu_ns)" 'BEGIN { printf "%.3f", ns / 1e9 }')"
        res[$kind|index_s]+=" $(awk -v ns="$(kv "$out/runs/snap.$r.$kind" index_cpu_ns)" 'BEGIN { printf "%.3f", ns / 1e9 }')"
    done
    res[snap|stall]+=" $(kv "$out/runs/snap.$r.out" worst_unit_ms)"
    res[snap|logmb]+=" $(awk -v b="$(stat -c %s "$snaplog")" 'BEGIN { printf "%.1f", b / 1e6 }')"

    log "run $r/$runs: heaptrace-report --json on that log"
    report_json report "$build/heaptrace-report"
    if [ -n "${HT_BASE_REPORT:-}" ]; then
        report_json base_report "$HT_BASE_REPORT"
        cmp -s "$out/runs/report.$r.json" "$out/runs/base_report.$r.json" ||
            problems+=("run $r: HT_BASE_REPORT's JSON differs from this build's")
    fi
    rm -f "$snaplog"
done

m() { # m KEY METRIC: the median of the runs
    # shellcheck disable=SC2086 # a list of numbers
    median ${res[$1|$2]}
}
runs_of() { # runs_of KEY METRIC: every run's value, ascending (the spread behind the median)
    # shellcheck disable=SC2086 # a list of numbers
    printf '%s\n' ${res[$1|$2]} | sort -g | paste -sd, - | sed 's/,/, /g'
}
yes_no() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = op == "ge" ? v >= t : v <= t; print ok ? "yes" : "**no**" }'; }

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load_end=$(cut -d' ' -f1 /proc/loadavg)
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -m), $(nproc) CPUs ($cpu_model);" \
    "heaptrace $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), $(heaptrack --version 2>/dev/null | head -n 1);" \
    "\`bigheap $blocks $bytes\`; median of $runs run(s); load average $load_start before, $load_end after$([ "$quick" = 1 ] && echo '; --quick: small heap, not a measurement')."
echo
echo "| measure | median | target | met |"
echo "| --- | ---: | ---: | :---: |"
gb_api=$(awk -v b="$(m api bytes)" 'BEGIN { printf "%.2f", b / 1e9 }')
gb_exit=$(awk -v b="$(m exit bytes)" 'BEGIN { printf "%.2f", b / 1e9 }')
echo "| running snapshot: live heap scanned | $gb_api GB, $(m api blocks) blocks, $(m api edges) edges | | |"
echo "| running snapshot: scan on one core (the child's CPU time) | $(m api cpu_s) s = $(m api cpu_gbps) GB/s (runs: $(runs_of api cpu_gbps)) | >= 1 GB/s | $(yes_no "$(m api cpu_gbps)" 1 ge) |"
echo "| running snapshot: of which building the index (sorting the live blocks by address, the lookup table) | $(m api index_s) s (runs: $(runs_of api index_s)) | | |"
echo "| running snapshot: scan, wall (the child shares the cores with the program, which goes on working) | $(m api scan_s) s = $(m api gbps) GB/s | | |"
echo "| running snapshot: host pause (clone + thread parking) | $(m api pause) ms/GB | <= 50 ms/GB | $(yes_no "$(m api pause)" 50 le) |"
echo "| running snapshot: longest stall of 1000 allocations the program saw | $(m snap stall) ms (runs: $(runs_of snap stall)) | | |"
echo "| exit snapshot: scan on one core (the child's CPU time) | $gb_exit GB: $(m exit cpu_s) s = $(m exit cpu_gbps) GB/s (runs: $(runs_of exit cpu_gbps)) | >= 1 GB/s | $(yes_no "$(m exit cpu_gbps)" 1 ge) |"
echo "| exit snapshot: of which building the index | $(m exit index_s) s (runs: $(runs_of exit index_s)) | | |"
echo "| exit snapshot: scan, wall (the exiting thread compresses what the child sends) | $(m exit scan_s) s = $(m exit gbps) GB/s | | |"
echo "| log with both snapshots | $(m snap logmb) MB | | |"
echo "| \`heaptrace-report --json\` on it: wall | $(m report wall) s | < 30 s | $(yes_no "$(m report wall)" 30 le) |"
echo "| \`heaptrace-report --json\` on it: peak RSS | $(awk -v k="$(m report rss)" 'BEGIN { printf "%.2f", k / 1048576 }') GiB | < 4 GB | $(yes_no "$(m report rss)" 3906250 le) |"
if [ -n "${HT_BASE_REPORT:-}" ]; then
    awk -v w="$(m report wall)" -v bw="$(m base_report wall)" -v k="$(m report rss)" -v bk="$(m base_report rss)" 'BEGIN {
        printf "| the same, HT_BASE_REPORT: wall, peak RSS | %.2f s, %.2f GiB | | |\n", bw, bk / 1048576
        printf "| **this / base**: wall, peak RSS | %.3f, %.3f | | |\n", (bw > 0 ? w / bw : 0), (bk > 0 ? k / bk : 0) }'
fi
awk -v nw="$(m native wall)" -v tw="$(m heaptrace wall)" -v kw="$(m heaptrack wall)" \
    -v nc="$(m native cpu)" -v tc="$(m heaptrace cpu)" -v kc="$(m heaptrack cpu)" '
    function ovh(t, k, n) { return k - n > 0 ? sprintf("%.2f", (t - n) / (k - n)) : "n/a" }
    BEGIN {
        printf "| recording the build of the heap: wall native / heaptrace / heaptrack | %.2f / %.2f / %.2f s | | |\n", nw, tw, kw
        printf "| recording overhead heaptrace/heaptrack (wall, CPU) | %s, %s | | |\n", ovh(tw, kw, nw), ovh(tc, kc, nc)
    }'
echo
echo "$targets_note; raw data in bench/out/snapshot/runs/."
if [ ${#problems[@]} -gt 0 ]; then
    echo
    echo "**Problems**:"
    printf -- '- %s\n' "${problems[@]}"
    exit 1
fi
