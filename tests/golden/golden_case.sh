#!/bin/sh
# SPDX-License-Identifier: MIT
#
# golden_case.sh - one golden-file test: trace a program under the shim,
# write its report (text --no-addresses, or --json), keep the program's own
# part with golden_filter and diff it against the checked-in expected file.
# With UPDATE_GOLDEN=1 in the environment the expected file is rewritten
# instead (see README.md).
#
#   golden_case.sh SHIM REPORT FILTER text|json EXPECTED WORKDIR SRCDIR BUILDDIR \
#                  SOURCES -- PROGRAM [ARG...]
#
# SOURCES: the program's source basenames, separated by spaces (text mode).
# Exit: 0 same, 1 different or a step failed, 2 usage.
set -u

[ $# -ge 11 ] && [ "${10}" = -- ] || { echo "golden_case: bad usage" >&2; exit 2; }
shim=$1 report=$2 filter=$3 mode=$4 expected=$5 work=$6 srcdir=$7 builddir=$8 sources=$9
shift 10

# Neither a tracer of whoever runs ctest nor its settings may leak in.
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

rm -rf "$work" && mkdir -p "$work" || exit 1
# Paths as the kernel reports them (/proc/self/exe), so @BUILD@ matches.
srcdir=$(cd "$srcdir" && pwd -P) && builddir=$(cd "$builddir" && pwd -P) || exit 1
log=$work/trace.htrace

LD_PRELOAD=$shim HEAPTRACE_OUT=$log "$@" >"$work/stdout" || {
    echo "golden_case: '$*' failed under the shim (exit $?)" >&2
    exit 1
}
if [ "$mode" = json ]; then
    "$report" --json --no-children "$log" >"$work/report" &&
        "$filter" json "$builddir" "$srcdir" <"$work/report" >"$work/actual"
else
    # shellcheck disable=SC2086 # SOURCES is a list
    "$report" --no-addresses --top 1000000 --color never --no-children "$log" \
        >"$work/report" && "$filter" text $sources <"$work/report" >"$work/actual"
fi || { echo "golden_case: the report or its filter failed (see $work)" >&2; exit 1; }

if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$work/actual" "$expected" && echo "golden_case: wrote $expected"
    exit
fi
diff -u "$expected" "$work/actual" || {
    echo "golden_case: the report differs from $expected (full report: $work/report;" \
         "UPDATE_GOLDEN=1 ctest -R golden rewrites the expected files)" >&2
    exit 1
}
