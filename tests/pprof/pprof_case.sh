#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/pprof/pprof_case.sh - traces PROGRAM with `heaptrace --pprof` (the
# wrapper's flag, which runs `heaptrace-report --pprof`), or with REPORT
# OPTIONS given, writes the profile with `heaptrace-report --pprof FILE
# OPTIONS LOG`; then pprof_check.py decodes it without Go and compares every
# sample type with the JSON report of the same log. Leaves WORK/NAME.pb.gz
# and WORK/NAME.expect for pprof_go.sh.
#
#   pprof_case.sh NAME HEAPTRACE REPORT WORK [--env K=V]... [--report-opt OPT]...
#                 -- PROGRAM [ARGS...]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 5 ] || { echo "usage: $0 NAME HEAPTRACE REPORT WORK [options] -- PROGRAM [ARGS...]" >&2; exit 2; }
name=$1 heaptrace=$2 report=$3 work=$4
shift 4
envs=() ropts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in
        --env) envs+=("$2"); shift 2 ;;
        --report-opt) ropts+=("$2"); shift 2 ;;
        *) echo "$0: error: unknown option '$1'" >&2; exit 2 ;;
    esac
done
[ "${1:-}" = -- ] || { echo "$0: error: no program given" >&2; exit 2; }
shift

# neither a tracer of whoever runs ctest nor its HEAPTRACE_* settings leak in
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
dir=$work/$name
rm -rf "$dir" && mkdir -p "$dir"
log=$dir/$name.htrace
profile=$work/$name.pb.gz
rm -f "$profile" "$work/$name.expect"

if [ ${#ropts[@]} -eq 0 ]; then
    echo "== $name: heaptrace --pprof $profile -- $*"
    env "${envs[@]}" "$heaptrace" -q --pprof "$profile" -o "$log" -- "$@" >"$dir/stdout"
else
    echo "== $name: heaptrace -- $*; heaptrace-report --pprof $profile ${ropts[*]}"
    env "${envs[@]}" "$heaptrace" -q -o "$log" -- "$@" >"$dir/stdout"
    "$report" --pprof "$profile" "${ropts[@]}" "$log"
fi
[ -s "$profile" ] || { echo "FAIL: no profile was written"; exit 1; }
# the profile must be gzip (pprof's on-disk form): its magic is 1f 8b
[ "$(od -An -tx1 -N2 "$profile" | tr -d ' ')" = 1f8b ] ||
    { echo "FAIL: $profile is not gzipped"; exit 1; }
python3 "$here/pprof_check.py" "$profile" "$work/$name.expect" -- "$report" "${ropts[@]}" "$log"
