#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/shim_ab.sh - the recording cost of two builds of libheaptrace.so, side
# by side: churn and churn_mt (../shared/bench/workloads) run under LIB_A and
# LIB_B in turn (A B A B ...), R times; prints the medians of wall and CPU
# seconds (CPU: user + sys of the whole process tree, bench/runtime.c). For a
# change to the shim that must not cost anything: build the library before
# and after (git archive REV | tar -x; cmake --build DIR --target heaptrace)
# and compare the two. Interleaving spreads a busy machine's drift over both;
# on a loaded machine trust the CPU column more than the wall one.
#
# usage: bench/shim_ab.sh [--runs R] [--events N] LIB_A LIB_B
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wl_src=$root/../shared/bench/workloads
out=$root/bench/out/ab
runs=9 n=1000000

usage() { sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"; }
libs=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?--runs needs a number}; shift ;;
        --events) n=${2:?--events needs a number}; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "shim_ab.sh: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *) libs+=("$(realpath "$1")") ;;
    esac
    shift
done
if [ ${#libs[@]} -ne 2 ] || [ ! -r "${libs[0]}" ] || [ ! -r "${libs[1]}" ]; then
    echo "shim_ab.sh: error: need two readable libheaptrace.so files" >&2; usage >&2; exit 2
fi
case $runs$n in *[!0-9]*) echo "shim_ab.sh: error: --runs and --events want numbers" >&2; exit 2 ;; esac
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_need_workloads "$wl_src"
cd "$root"
bench_workloads "$wl_src" "$out" churn churn_mt

# one LIB PROG ARGS...: one run; prints "wall cpu"
one() {
    local lib=$1
    shift
    rm -f "$out/logs/"*
    LD_PRELOAD=$lib HEAPTRACE_OUT="$out/logs/ab.%p" "$out/runtime" "$out/runs/t" "$@" >/dev/null
    echo "$(field "$out/runs/t" wall) $(field "$out/runs/t" cpu)"
}

echo "| workload | A wall s | B wall s | A cpu s | B cpu s |"
echo "| --- | --- | --- | --- | --- |"
for w in "churn $n 20" "churn_mt $n 20 2"; do
    read -r -a cmd <<<"$w"
    aw=() bw=() ac=() bc=()
    for _ in $(seq "$runs"); do
        read -r w1 c1 < <(one "${libs[0]}" "$out/${cmd[0]}" "${cmd[@]:1}")
        read -r w2 c2 < <(one "${libs[1]}" "$out/${cmd[0]}" "${cmd[@]:1}")
        aw+=("$w1") ac+=("$c1") bw+=("$w2") bc+=("$c2")
    done
    echo "| $w | $(median "${aw[@]}") | $(median "${bw[@]}") | $(median "${ac[@]}") | $(median "${bc[@]}") |"
done
echo "A = ${libs[0]}"
echo "B = ${libs[1]}"
