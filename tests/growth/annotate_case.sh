#!/bin/sh
# SPDX-License-Identifier: MIT
# annotate_case.sh SHIM REPORT WORKDIR CI_MD GROWING_PROGRAM STEADY_PROGRAM
# `heaptrace-report --annotate github` against the format docs/CI.md
# documents: its example line must have the format this test checks,
#   ::error file=FILE,line=LINE::heaptrace gate 'RULE': MESSAGE
# and so must every line the report prints: one per failed rule, none for a
# rule that passes, FILE and LINE those of the stderr line, '%' as '%25'.
set -u
shim=$1 report=$2 work=$3 doc=$4 grow=$5 steady=$6
# shellcheck source=tests/growth/case_lib.sh
. "$(dirname "$0")/case_lib.sh"
case_setup "$work"
format="^::error file=[^,:%]+,line=[0-9]+::heaptrace gate '[^']+': [^%]*(%25[^%]*)*\$"

example=$(sed -n 's/^    \(::error file=.*\)$/\1/p' "$doc")
[ -n "$example" ] || bad "no example '::error file=' line in $doc"
printf '%s\n' "$example" | grep -Eq "$format" || bad "the example in $doc does not have the format: $example"

SCEN_MARKS=1 LD_PRELOAD=$shim HEAPTRACE_OUT=$work/grow.htrace "$grow" >/dev/null || exit 1
SCEN_MARKS=1 LD_PRELOAD=$shim HEAPTRACE_OUT=$work/steady.htrace "$steady" >/dev/null || exit 1

"$report" --annotate github --baseline "$work/steady.htrace" --fail-on 'growth > 100B/mark' \
    --fail-on 'peak > +10%' --fail-on 'peak > 1GiB' "$work/grow.htrace" >"$work/out" 2>"$work/err"
[ $? = 1 ] || bad "exit status: $(cat "$work/err")"
grep '^::' "$work/out" >"$work/ann"
[ "$(wc -l <"$work/ann")" = 2 ] || bad "expected 2 annotations (2 failed rules): $(cat "$work/ann")"
grep -Evq "$format" "$work/ann" && bad "not in the documented format: $(grep -Ev "$format" "$work/ann")"
grep -q "gate 'peak > +10%25': " "$work/ann" || bad "'%' not escaped as %25: $(cat "$work/ann")"
# each annotation says what the stderr line says, at the file:line it names
sed -n "s/^heaptrace-report: gate failed: //p" "$work/err" | sed 's/%/%25/g' | while IFS= read -r msg; do
    loc=$(printf '%s\n' "$msg" | sed -n 's/.* at \([^ ]*\):\([0-9]*\) (.*/file=\1,line=\2/p')
    grep -qxF "::error $loc::heaptrace gate $msg" "$work/ann" || echo "no annotation '::error $loc::heaptrace gate $msg'"
done >"$work/missing"
[ -s "$work/missing" ] && bad "$(cat "$work/missing")"

"$report" --annotate github --fail-on 'growth > 1MiB/mark' "$work/grow.htrace" >"$work/out0" 2>&1 ||
    bad "a passing rule fails: $(cat "$work/out0")"
grep -q '^::' "$work/out0" && bad "an annotation for a passing rule: $(grep '^::' "$work/out0")"

[ "$fail" = 0 ] && echo "ok: --annotate github lines have the format of $(basename "$doc")"
exit "$fail"
