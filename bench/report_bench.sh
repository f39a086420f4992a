#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/report_bench.sh - the analyzer against heaptrack's: heaptrace-report on
# the log of `churn 5000000 20` against heaptrack_print on heaptrack's log of
# the same run (events/s, wall, CPU, peak RSS), the whole pipeline (record +
# report CPU) of both, and with --big a log of 200 M events analysed in
# bounded memory. Prints a Markdown table of medians; see bench/README.md.
#
# usage: bench/report_bench.sh [--big] [--runs R]
# environment: HT_BUILD  the heaptrace build directory (default: build)
#              HT_BASE_REPORT  another heaptrace-report (a base revision's, e.g.
#                        build/compare/base-*/build/heaptrace-report of
#                        tests/compare): measured on the same log, interleaved,
#                        with a "this / base" row (a refactor's cost)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wl_src=$root/../shared/bench/workloads
out=$root/bench/out/report
build=${HT_BUILD:-build}
runs=3
big=0
n=5000000 depth=20           # the churn run both analyzers read
big_n=100000000 big_depth=5  # --big: 2 x 10^8 events, a heap of about 1.6 MB

usage() {
    sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"
    echo "  --big      also analyse a log of $((2 * big_n)) events (churn $big_n $big_depth; minutes)"
    echo "  --runs R   runs per measurement; the median is reported (default 3)"
}
bench_on_flag() { big=1; }
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_options report_bench.sh --big "$@"
bench_need_workloads "$wl_src"
cd "$root"

# ---- build -------------------------------------------------------------------
log "building heaptrace ($build/), churn and bench/runtime (bench/out/report/)"
bench_build report_bench.sh "$build" heaptrace libheaptrace.so heaptrace-report
bench_workloads "$wl_src" "$out" churn

declare -A res
problems=()
nrun=0

# measure TAG CMD...: one run under bench/runtime; appends wall, cpu, rss to res[TAG|*]
measure() {
    local tag=$1 f
    shift
    nrun=$((nrun + 1))
    f=$out/runs/$tag.$nrun
    res[$tag|out]=$f.out
    "$out/runtime" "$f.time" "$@" >"$f.out" 2>"$f.err" </dev/null || true
    local status
    status=$(field "$f.time" status)
    [ "$status" = 0 ] || problems+=("$tag: exit status ${status:-?} (see $f.err)")
    res[$tag|wall]+=" $(field "$f.time" wall)"
    res[$tag|cpu]+=" $(field "$f.time" cpu)"
    res[$tag|rss]+=" $(field "$f.time" maxrss_kb)"
}
m() { # m TAG METRIC: the median of the runs
    # shellcheck disable=SC2086 # a list of numbers
    median ${res[$1|$2]}
}

load_start=$(cut -d' ' -f1 /proc/loadavg)

# ---- record (the pipeline's first half), R times each, interleaved ------------
ht_log=$out/logs/churn.htrace
hk_log=$out/logs/churn.heaptrack
for ((r = 1; r <= runs; r++)); do
    log "run $r/$runs: record churn $n $depth with heaptrace, then heaptrack"
    rm -f "$ht_log" "$hk_log".*
    measure ht_record "$build/heaptrace" -q -o "$ht_log" -- "$out/churn" "$n" "$depth"
    measure hk_record heaptrack -o "$hk_log" "$out/churn" "$n" "$depth"
done
[ -s "$ht_log" ] || { echo "report_bench.sh: error: heaptrace wrote no log" >&2; exit 1; }
[ -s "$hk_log.zst" ] || { echo "report_bench.sh: error: heaptrack wrote no $hk_log.zst" >&2; exit 1; }

# ---- analyze the last logs, R times each, interleaved -------------------------
for ((r = 1; r <= runs; r++)); do
    log "run $r/$runs: heaptrace-report, then heaptrack_print"
    measure ht_report "$build/heaptrace-report" "$ht_log"
    measure hk_report heaptrack_print "$hk_log.zst"
    [ -z "${HT_BASE_REPORT:-}" ] || measure base_report "$HT_BASE_REPORT" "$ht_log"
done
if [ -n "${HT_BASE_REPORT:-}" ] && ! cmp -s "${res[ht_report|out]}" "${res[base_report|out]}"; then
    problems+=("HT_BASE_REPORT's report differs from this build's (diff ${res[ht_report|out]} ${res[base_report|out]})")
fi
# Both must have seen the same run: N allocations by churn, plus the few of
# libc's own start-up (stdio's buffer...).
ht_allocs=$(sed -n 's/^ *allocations *\([0-9]*\).*/\1/p' "${res[ht_report|out]}")
hk_allocs=$(sed -n 's/^calls to allocation functions: *\([0-9]*\).*/\1/p' "${res[hk_report|out]}")
for a in "heaptrace-report:${ht_allocs:-0}" "heaptrack_print:${hk_allocs:-0}"; do
    [ "${a#*:}" -ge "$n" ] && [ "${a#*:}" -le $((n + 16)) ] ||
        problems+=("${a%%:*} counts ${a#*:} allocations, not $n (+ a few of libc's)")
done

# ---- --big: bounded memory ------------------------------------------------------
if [ "$big" = 1 ]; then
    big_log=$out/logs/big.htrace
    log "--big: record churn $big_n $big_depth ($((2 * big_n)) events; minutes)"
    measure big_record "$build/heaptrace" -q -o "$big_log" -- "$out/churn" "$big_n" "$big_depth"
    stat -c %s "$big_log" >"$out/big.bytes"
    log "--big: heaptrace-report on $(cat "$out/big.bytes") bytes"
    measure big_report "$build/heaptrace-report" "$big_log"
    rm -f "$big_log"
fi

# ---- table ------------------------------------------------------------------------
events=$((2 * n))
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load_end=$(cut -d' ' -f1 /proc/loadavg)
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -m), $(nproc) CPUs ($cpu_model);" \
    "heaptrace $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), $(heaptrack --version 2>/dev/null | head -n 1);" \
    "median of $runs run(s); load average $load_start before, $load_end after."
echo
echo "Analysis of \`churn $n $depth\` ($events events):"
echo
echo "| analyzer | log bytes | wall s | CPU s | events/s (CPU) | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
row() { # row NAME TAG LOG
    awk -v name="$1" -v bytes="$(stat -c %s "$3")" -v w="$(m "$2" wall)" -v c="$(m "$2" cpu)" \
        -v kb="$(m "$2" rss)" -v ev="$events" 'BEGIN {
        printf "| %s | %d | %.3f | %.3f | %.1f M | %.1f |\n", name, bytes, w, c, (c > 0 ? ev / c / 1e6 : 0), kb / 1024 }'
}
row "heaptrace-report" ht_report "$ht_log"
row "heaptrack_print" hk_report "$hk_log.zst"
awk -v tc="$(m ht_report cpu)" -v kc="$(m hk_report cpu)" -v tw="$(m ht_report wall)" -v kw="$(m hk_report wall)" \
    -v tr="$(m ht_report rss)" -v kr="$(m hk_report rss)" 'BEGIN {
    printf "| **heaptrace / heaptrack** | | %.2f | %.2f | **%.1f×** | %.2f |\n", tw / kw, tc / kc, kc / tc, tr / kr }'
if [ -n "${HT_BASE_REPORT:-}" ]; then
    row "heaptrace-report (HT_BASE_REPORT)" base_report "$ht_log"
    awk -v tc="$(m ht_report cpu)" -v bc="$(m base_report cpu)" -v tw="$(m ht_report wall)" \
        -v bw="$(m base_report wall)" -v tr="$(m ht_report rss)" -v br="$(m base_report rss)" 'BEGIN {
        printf "| **this / base** | | %.3f | %.3f | %.3f× | %.3f |\n", tw / bw, tc / bc, bc / tc, tr / br }'
fi
echo
echo "Whole pipeline, CPU s (record = the traced run with every helper process; heaptrack's includes heaptrack_interpret):"
echo
echo "| tracer | record CPU s | report CPU s | total CPU s |"
echo "| --- | ---: | ---: | ---: |"
awk -v tr="$(m ht_record cpu)" -v tp="$(m ht_report cpu)" -v kr="$(m hk_record cpu)" -v kp="$(m hk_report cpu)" 'BEGIN {
    printf "| heaptrace + heaptrace-report | %.3f | %.3f | %.3f |\n", tr, tp, tr + tp
    printf "| heaptrack + heaptrack_print | %.3f | %.3f | %.3f |\n", kr, kp, kr + kp
    printf "| **heaptrace / heaptrack** | %.2f | %.2f | **%.2f** |\n", tr / kr, tp / kp, (tr + tp) / (kr + kp) }'
if [ "$big" = 1 ]; then
    echo
    echo "Bounded memory (--big, one run): \`churn $big_n $big_depth\`, $((2 * big_n)) events:"
    echo
    echo "| log bytes | record wall s | report wall s | report CPU s | events/s (CPU) | report peak RSS MiB |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    awk -v bytes="$(cat "$out/big.bytes" 2>/dev/null || echo 0)" -v rw="$(m big_record wall)" \
        -v w="$(m big_report wall)" -v c="$(m big_report cpu)" -v kb="$(m big_report rss)" -v ev="$((2 * big_n))" 'BEGIN {
        printf "| %d | %.1f | %.2f | %.2f | %.1f M | %.1f |\n", bytes, rw, w, c, (c > 0 ? ev / c / 1e6 : 0), kb / 1024 }'
fi
echo
if [ ${#problems[@]} -gt 0 ]; then
    echo "**Problems** (these numbers are not comparable):"
    printf -- '- %s\n' "${problems[@]}"
    exit 1
fi
echo "Both analyzers counted churn's $n allocations (heaptrace-report $ht_allocs, heaptrack_print $hk_allocs, with libc's own); every run exited 0."
