#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/sample_bench.sh - what HEAPTRACE_SAMPLE (heaptrace --sample) costs per
# malloc/free on the shared `churn` workload, against native, full tracing and
# heaptrack in one run: nanoseconds of CPU added per event (a malloc or a
# free), idle (a sampling rate so large nothing is sampled: the countdown and
# the free filter alone) and sampled (512 KiB, 64 KiB). Each mode runs
# `churn N 20` and `churn N0 20` (N0 = 100,000), interleaved, R times; the difference of the
# two medians takes out the fixed cost (loading, the writer thread, the sink)
# so what is left is per event:
#     ns/event = ((CPU(N) - CPU(N0)) - (native CPU(N) - native CPU(N0))) / (2 (N - N0))
# CPU is user + sys of the whole process tree (bench/runtime.c): heaptrack's
# interpreter and compressor count, and so does heaptrace's writer thread.
#
# usage: bench/sample_bench.sh [--quick] [--runs R]
# environment: HT_BUILD  the heaptrace build directory (default: build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wl_src=$root/../shared/bench/workloads
out=$root/bench/out/sample
build=${HT_BUILD:-build}
runs=5
quick=0

usage() {
    sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"
    echo "  --quick    small inputs, one run each (a smoke test, not a measurement)"
    echo "  --runs R   runs per mode; the median is reported (default 5)"
}
bench_on_flag() { quick=1; runs=1; }
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_options sample_bench.sh --quick "$@"
bench_need_workloads "$wl_src"
cd "$root"

log "building heaptrace ($build/), churn and bench/runtime (bench/out/sample/)"
bench_build sample_bench.sh "$build" heaptrace libheaptrace.so heaptrace-report
bench_workloads "$wl_src" "$out" churn

if [ "$quick" = 1 ]; then n=400000; else n=5000000; fi
n0=100000 # 40 MB allocated: about 80 samples at 512 KiB
depth=20
# mode | how it runs (heaptrace's --sample; none: native or heaptrack)
modes=("native|" "full|0" "idle|1024GiB" "sampled 512 KiB|512KiB" "sampled 64 KiB|64KiB"
       "heaptrack|")

# run_one MODE SAMPLE COUNT TAG: one measured run, TAG.{time,out,err,bytes} left
run_one() {
    local mode=$1 sample=$2 count=$3 tag=$4 cmd
    local prog=("$out/churn" "$count" "$depth")
    rm -f "$out/logs/$tag".*
    case $mode in
        native) cmd=("${prog[@]}") ;;
        heaptrack) cmd=(heaptrack -o "$out/logs/$tag.heaptrack" "${prog[@]}") ;;
        *) cmd=("$build/heaptrace" -q --sample "$sample" -o "$out/logs/$tag.htrace" -- "${prog[@]}") ;;
    esac
    "$out/runtime" "$out/runs/$tag.time" "${cmd[@]}" >"$out/runs/$tag.out" 2>"$out/runs/$tag.err" \
        </dev/null || true
    bench_log_bytes "$out" "$tag"
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
declare -A res
problems=()
for ((r = 1; r <= runs; r++)); do
    for m in "${modes[@]}"; do
        IFS='|' read -r mode sample <<<"$m"
        for count in "$n" "$n0"; do
            tag="${mode// /_}.$count.$r"
            log "run $r/$runs: $mode, churn $count $depth"
            run_one "$mode" "$sample" "$count" "$tag"
            f=$out/runs/$tag
            [ "$(field "$f.time" status)" = 0 ] || problems+=("$mode churn $count: exit status (see $f.err)")
            grep -q "^churn N=$count " "$f.out" || problems+=("$mode churn $count: no result line")
            res[$mode|$count|cpu]+=" $(field "$f.time" cpu)"
            res[$mode|$count|bytes]+=" $(cat "$f.bytes")"
        done
        # the sampled allocations the log holds (once: they do not vary much)
        if [ "$r" = 1 ] && [ -n "$sample" ] && [ "$mode" != full ] && [ "$mode" != native ]; then
            lg=$out/logs/${mode// /_}.$n.1.htrace
            res[$mode|records]=$("$build/heaptrace-report" --dump "$lg" 2>/dev/null |
                grep -c ' ALLOC' || true)
        fi
    done
done

med() { # shellcheck disable=SC2086 # a list of numbers
    median ${res[$1]}
}
native_n=$(med "native|$n|cpu") native_0=$(med "native|$n0|cpu")
events=$((2 * (n - n0)))
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "$(date -u +%Y-%m-%d) $cpu_model, $(nproc) cores; load average $load_start at the start," \
    "$(cut -d' ' -f1 /proc/loadavg) at the end; churn $n $depth: $((2 * n)) events, medians of $runs"
echo
echo "| mode | CPU s | × native | ns added per malloc/free | log bytes | ALLOC records |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for m in "${modes[@]}"; do
    IFS='|' read -r mode sample <<<"$m"
    c_n=$(med "$mode|$n|cpu") c_0=$(med "$mode|$n0|cpu") bytes=$(med "$mode|$n|bytes")
    awk -v mode="$mode" -v cn="$c_n" -v c0="$c_0" -v nn="$native_n" -v n0="$native_0" \
        -v ev="$events" -v b="$bytes" -v rec="${res[$mode|records]:-}" 'BEGIN {
        ns = ((cn - c0) - (nn - n0)) / ev * 1e9
        printf "| %s | %.3f | %.2f | %s | %s | %s |\n", mode, cn, (nn > 0 ? cn / nn : 0),
            (mode == "native" ? "-" : sprintf("%.1f", ns)), (mode == "native" ? "-" : b),
            (rec == "" ? "-" : rec)
    }'
done
if [ ${#problems[@]} -gt 0 ]; then
    echo
    echo "**Problems**"
    printf -- '- %s\n' "${problems[@]}"
    exit 1
fi
