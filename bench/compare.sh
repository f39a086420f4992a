#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/compare.sh - heaptrace against heaptrack on the shared workloads
# (../shared/bench/workloads), each run natively, under build/heaptrace and
# under heaptrack, interleaved, R times; prints a Markdown table of medians.
# See bench/README.md for what each column means.
#
# usage: bench/compare.sh [--quick] [--runs R]
# environment: HT_BUILD  the heaptrace build directory (default: build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wl_src=$root/../shared/bench/workloads
out=$root/bench/out
build=${HT_BUILD:-build}
runs=3
quick=0

usage() {
    sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"
    echo "  --quick    small inputs, one run each (a smoke test, not a measurement)"
    echo "  --runs R   runs per workload and tracer; the median is reported (default 3)"
}
bench_on_flag() { quick=1; runs=1; }
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_options compare.sh --quick "$@"
bench_need_workloads "$wl_src"
cd "$root"

# ---- build -------------------------------------------------------------------
log "building heaptrace ($build/), the workloads and bench/runtime (bench/out/)"
bench_build compare.sh "$build" heaptrace libheaptrace.so
bench_workloads "$wl_src" "$out" churn churn_mt weak_table_server

# ---- workloads -----------------------------------------------------------------
# name | arguments | events (mallocs + frees) when the workload fixes them
if [ "$quick" = 1 ]; then
    n=200000 requests=2000
else
    n=5000000 requests=20000
fi
workloads=(
    "churn|$n 5|$((2 * n))"
    "churn|$n 20|$((2 * n))"
    "churn_mt|$n 20 2|$((2 * n))"
    "weak_table_server|$requests|"
)
modes=(native heaptrace heaptrack)

# run_one MODE NAME ARGS TAG: one measured run; leaves TAG.{time,out,err,bytes}
run_one() {
    local mode=$1 name=$2 args=$3 tag=$4 cmd
    # shellcheck disable=SC2206 # the arguments are plain numbers
    local prog=("$out/$name" $args)
    rm -f "$out/logs/$tag".*
    case $mode in
        native) cmd=("${prog[@]}") ;;
        heaptrace) cmd=("$build/heaptrace" -q -o "$out/logs/$tag.htrace" -- "${prog[@]}") ;;
        heaptrack) cmd=(heaptrack -o "$out/logs/$tag.heaptrack" "${prog[@]}") ;;
    esac
    WL_VERBOSE=1 "$out/runtime" "$out/runs/$tag.time" "${cmd[@]}" \
        >"$out/runs/$tag.out" 2>"$out/runs/$tag.err" </dev/null || true
    bench_log_bytes "$out" "$tag"
}

# Other work on the machine skews the times: the header shows the load average.
load_start=$(cut -d' ' -f1 /proc/loadavg)
declare -A res
problems=()
for w in "${workloads[@]}"; do
    IFS='|' read -r name args events <<<"$w"
    key="$name $args"
    for ((r = 1; r <= runs; r++)); do
        for mode in "${modes[@]}"; do
            tag="${name}_${args// /_}.$mode.$r"
            log "run $r/$runs: $mode $key"
            run_one "$mode" "$name" "$args" "$tag"
            f=$out/runs/$tag
            status=$(field "$f.time" status)
            [ "$status" = 0 ] || problems+=("$mode $key: exit status ${status:-?} (see bench/out/runs/$tag.err)")
            res[$key|$mode|wall]+=" $(field "$f.time" wall)"
            res[$key|$mode|cpu]+=" $(field "$f.time" cpu)"
            res[$key|$mode|rss]+=" $(field "$f.err" peak_rss_kb)"
            res[$key|$mode|bytes]+=" $(cat "$f.bytes")"
            [ "$mode" = native ] || [ "$(cat "$f.bytes")" -gt 0 ] ||
                problems+=("$mode $key: wrote no log")
            if [ "$mode" = native ]; then
                native_line=$(grep -m1 "^$name " "$f.out" || true)
                [ -n "$native_line" ] || problems+=("native $key printed no result line")
            elif [ "$mode" = heaptrace ]; then
                [ "$(cat "$f.out")" = "$native_line" ] ||
                    problems+=("heaptrace $key: stdout differs from the native run")
            else
                # heaptrack prints its own lines on stdout around the program's.
                grep -Fxq -- "$native_line" "$f.out" ||
                    problems+=("heaptrack $key: the program's line differs from the native run")
                # heaptrack's own count when the workload does not fix it:
                # every allocation is freed by the clean exit, so events = 2 x allocations.
                [ -n "$events" ] ||
                    res[$key|events]=$(($(sed -n 's/^[[:space:]]*allocations:[[:space:]]*//p' "$f.err" | head -n 1) * 2))
            fi
        done
    done
    [ -z "$events" ] || res[$key|events]=$events
    [ -n "$events" ] || res[$key|approx]="≈"
done

# ---- table ------------------------------------------------------------------------
m() { # m KEY MODE METRIC: the median of the runs
    # shellcheck disable=SC2086 # a list of numbers
    median ${res[$1|$2|$3]}
}
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load_end=$(cut -d' ' -f1 /proc/loadavg)
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -m), $(nproc) CPUs ($cpu_model);" \
    "heaptrace $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), $(heaptrack --version 2>/dev/null | head -n 1);" \
    "median of $runs run(s); load average $load_start before, $load_end after$([ "$quick" = 1 ] && echo '; --quick: small inputs, not a measurement')."
echo
echo "| workload | native wall s | heaptrace wall s (×native) | heaptrack wall s (×native) | native CPU s | heaptrace CPU s (×native) | heaptrack CPU s (×native) | overhead heaptrace/heaptrack wall, CPU | peak RSS MiB native / heaptrace / heaptrack | log bytes heaptrace / heaptrack | events | bytes/event heaptrace / heaptrack |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for w in "${workloads[@]}"; do
    IFS='|' read -r name args _ <<<"$w"
    key="$name $args"
    awk -v key="$key" \
        -v nw="$(m "$key" native wall)" -v tw="$(m "$key" heaptrace wall)" -v kw="$(m "$key" heaptrack wall)" \
        -v nc="$(m "$key" native cpu)" -v tc="$(m "$key" heaptrace cpu)" -v kc="$(m "$key" heaptrack cpu)" \
        -v nr="$(m "$key" native rss)" -v tr="$(m "$key" heaptrace rss)" -v kr="$(m "$key" heaptrack rss)" \
        -v tb="$(m "$key" heaptrace bytes)" -v kb="$(m "$key" heaptrack bytes)" \
        -v ev="${res[$key|events]:-0}" -v approx="${res[$key|approx]:-}" '
        function x(t, n) { return n > 0 ? sprintf("%.3f (%.1f×)", t, t / n) : sprintf("%.3f", t) }
        function ovh(t, k, n) { return k - n > 0 ? sprintf("%.2f", (t - n) / (k - n)) : "n/a" }
        function mib(kb) { return kb == "" ? "?" : sprintf("%.1f", kb / 1024) }
        function per(b) { return ev > 0 ? sprintf("%.2f", b / ev) : "?" }
        BEGIN {
            printf "| `%s` | %.3f | %s | %s | %.3f | %s | %s | %s, %s | %s / %s / %s | %d / %d | %s%d | %s / %s |\n",
                key, nw, x(tw, nw), x(kw, nw), nc, x(tc, nc), x(kc, nc),
                ovh(tw, kw, nw), ovh(tc, kc, nc), mib(nr), mib(tr), mib(kr),
                tb, kb, approx, ev, per(tb), per(kb)
        }'
done
echo
if [ ${#problems[@]} -gt 0 ]; then
    echo "**Problems** (these rows are not comparable):"
    printf -- '- %s\n' "${problems[@]}"
    exit 1
fi
echo "Every traced run printed the same result line as the native run."
