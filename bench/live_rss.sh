#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/live_rss.sh - what the tracer's memory costs per live heap block:
# bench/bigheap.c keeps BLOCKS blocks of about 100 bytes live (2 M by
# default, the figure of issue 18), natively, under heaptrace (an older
# build too with --before) and under heaptrack, R times interleaved. Per
# run it takes two peaks:
#
#   program  bigheap's own peak RSS when its heap is built (it prints
#            maxrss_kb), without the tracer's helpers; the writer thread may
#            still be behind then, with part of the table to fill;
#   largest  the largest process of the whole tree (bench/runtime): the
#            program at its exit, or a snapshot child, which holds the
#            heap and a snapshot's index of every live block.
#
# Bytes per live block = (peak - native peak) / BLOCKS, medians; fixed
# costs (rings, zstd, a snapshot's buffers) count in them too. Rows: no
# snapshot (HEAPTRACE_SNAPSHOTS=0: the live table alone), the default
# (snapshots of the running program and at exit, in children), the exit
# snapshot without a child (HEAPTRACE_SNAPSHOT_FORK=0: its index in the
# program itself), sampled every 512 KiB (only sampled blocks recorded).
# Prints a Markdown table.
#
# usage: bench/live_rss.sh [--quick] [--runs R] [--before DIR] [--blocks N]
# environment: HT_BUILD  the heaptrace build directory (default: build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out/live_rss
build=${HT_BUILD:-build}
runs=3
blocks=2000000
before=

usage() {
    sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"
    echo "  --quick       200 000 blocks, one run (a smoke test, not a measurement)"
    echo "  --runs R      runs of each; the median is reported (default 3)"
    echo "  --before DIR  also an older heaptrace build (DIR/heaptrace, DIR/libheaptrace.so)"
    echo "  --blocks N    live blocks (default 2000000), of 100 bytes on average"
}
while [ $# -gt 0 ]; do
    case $1 in
        --quick) blocks=200000 runs=1 ;;
        --runs) runs=${2:?--runs needs a number}; shift ;;
        --before) before=${2:?--before needs a build directory}; shift ;;
        --blocks) blocks=${2:?--blocks needs a number}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "live_rss.sh: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case $runs$blocks in *[!0-9]*) echo "live_rss.sh: error: --runs and --blocks want numbers" >&2; exit 2 ;; esac
if [ -n "$before" ] && [ ! -x "$before/heaptrace" ]; then
    echo "live_rss.sh: error: no heaptrace in $before" >&2
    exit 2
fi
[ -z "$before" ] || before=$(cd "$before" && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
cd "$root"

log "building heaptrace and bigheap ($build/), bench/runtime ($out/)"
bench_build live_rss.sh "$build" heaptrace libheaptrace.so bigheap
rm -rf "$out" && mkdir -p "$out/logs" "$out/runs"
cc -O2 -Wall -Wextra -o "$out/runtime" bench/runtime.c

prog=("$build/bigheap" "$blocks" "$((blocks * 100))")
rows=(native)
[ -z "$before" ] || rows+=(before_nosnap before before_nofork)
rows+=(heaptrace_nosnap heaptrace heaptrace_nofork heaptrace_sampled heaptrack)
declare -A label=(
    [native]="native"
    [before]="heaptrace before ($(cat "$before/commit" 2>/dev/null || echo "$before"))"
    [before_nofork]="heaptrace before, exit snapshot without a child"
    [before_nosnap]="heaptrace before, no snapshot"
    [heaptrace_nosnap]="heaptrace, no snapshot"
    [heaptrace]="heaptrace $(git describe --always --dirty 2>/dev/null || echo '?')"
    [heaptrace_nofork]="heaptrace, exit snapshot without a child"
    [heaptrace_sampled]="heaptrace --sample 512KiB"
    [heaptrack]="$(heaptrack --version 2>/dev/null | head -n 1)"
)

# run ROW R: one run of that row under bench/runtime
run() {
    local row=$1 r=$2 log=$out/logs/$1.$2 cmd
    case $row in
        native) cmd=("${prog[@]}") ;;
        before) cmd=("$before/heaptrace" -q -o "$log" -- "${prog[@]}") ;;
        before_nofork) cmd=(env HEAPTRACE_SNAPSHOT_FORK=0 "$before/heaptrace" -q -o "$log" -- "${prog[@]}") ;;
        before_nosnap) cmd=(env HEAPTRACE_SNAPSHOTS=0 "$before/heaptrace" -q -o "$log" -- "${prog[@]}") ;;
        heaptrace_nosnap) cmd=(env HEAPTRACE_SNAPSHOTS=0 "$build/heaptrace" -q -o "$log" -- "${prog[@]}") ;;
        heaptrace) cmd=("$build/heaptrace" -q -o "$log" -- "${prog[@]}") ;;
        heaptrace_nofork) cmd=(env HEAPTRACE_SNAPSHOT_FORK=0 "$build/heaptrace" -q -o "$log" -- "${prog[@]}") ;;
        heaptrace_sampled) cmd=("$build/heaptrace" --sample 512KiB -q -o "$log" -- "${prog[@]}") ;;
        heaptrack) cmd=(heaptrack -o "$log" "${prog[@]}") ;;
    esac
    "$out/runtime" "$out/runs/$row.$r.time" "${cmd[@]}" >"$out/runs/$row.$r.out" 2>"$out/runs/$row.$r.err" </dev/null || true
    rm -f "$log"*
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
declare -A res
problems=()
for ((r = 1; r <= runs; r++)); do
    log "run $r/$runs: ${rows[*]}"
    for row in "${rows[@]}"; do
        run "$row" "$r"
        f=$out/runs/$row.$r
        [ "$(field "$f.time" status)" = 0 ] || problems+=("$row run $r: exit status $(field "$f.time" status) (see $f.err)")
        grep -q "^bigheap blocks=$blocks " "$f.out" || problems+=("$row run $r: no result line (see $f.out)")
        res[$row|prog]+=" $(field "$f.out" maxrss_kb)"
        res[$row|tree]+=" $(field "$f.time" maxrss_kb)"
        res[$row|cpu]+=" $(field "$f.time" cpu)"
        res[$row|wall]+=" $(field "$f.time" wall)"
    done
done

m() { # m ROW METRIC: the median of the runs
    # shellcheck disable=SC2086 # a list of numbers
    median ${res[$1|$2]}
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load_end=$(cut -d' ' -f1 /proc/loadavg)
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -m), $(nproc) CPUs ($cpu_model);" \
    "\`bigheap $blocks $((blocks * 100))\` ($blocks live blocks of 100 bytes on average); median of $runs run(s);" \
    "load average $load_start before, $load_end after$([ "$runs" = 1 ] && echo '; one run: not a measurement')."
echo
echo "| tracer | program peak RSS MiB | bytes / live block | largest process MiB | bytes / live block | CPU s | wall s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
np=$(m native prog) nt=$(m native tree)
for row in "${rows[@]}"; do
    awk -v l="${label[$row]}" -v p="$(m "$row" prog)" -v t="$(m "$row" tree)" -v np="$np" -v nt="$nt" \
        -v n="$blocks" -v c="$(m "$row" cpu)" -v w="$(m "$row" wall)" -v native="$([ "$row" = native ] && echo 1)" '
        BEGIN {
            if (native)
                printf "| %s | %.1f | | %.1f | | %.2f | %.2f |\n", l, p / 1024, t / 1024, c, w
            else
                printf "| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |\n", l, p / 1024, (p - np) * 1024 / n,
                    t / 1024, (t - nt) * 1024 / n, c, w
        }'
done
echo
echo "Target (issue 18): <= 32 bytes a live block, a snapshot's index included; raw data in bench/out/live_rss/runs/."
if [ ${#problems[@]} -gt 0 ]; then
    echo
    echo "**Problems**:"
    printf -- '- %s\n' "${problems[@]}"
    exit 1
fi
