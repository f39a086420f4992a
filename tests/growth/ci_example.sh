#!/bin/sh
# SPDX-License-Identifier: MIT
# ci_example.sh HEAPTRACE WORKDIR XSD GROWING_PROGRAM STEADY_PROGRAM
# A user's CI step, recorded and gated in one command (docs/CI.md):
#   heaptrace --gate 'growth > 4KiB/mark' --junit heaptrace.xml -- ./server_test
# Checks the exit statuses (0 pass, 1 a rule fails, 2 a rule does not parse,
# the program's own failure first), that the program's stdout is exactly what
# it prints untraced, that failed rules and annotations go to stderr, and the
# JUnit file against the schema (when xmllint is installed).
set -u
ht=$1 work=$2 xsd=$3 grow=$4 steady=$5
# shellcheck source=tests/growth/case_lib.sh
. "$(dirname "$0")/case_lib.sh"
case_setup "$work"
cd "$work" || exit 1
export SCEN_MARKS=1

"$grow" >native.out || exit 1
# step WANT NAME HEAPTRACE-ARGS...: runs heaptrace, expects exit WANT, output in NAME.{out,err}
step() {
    want=$1 name=$2
    shift 2
    "$ht" -o "$name.htrace" "$@" >"$name.out" 2>"$name.err"
    rc=$?
    [ "$rc" = "$want" ] || { bad "$name: exit $rc, expected $want"; cat "$name.err" >&2; }
}

step 0 pass --gate 'growth > 4KiB/mark' --gate 'peak > 200MiB' -- "$grow"
cmp -s native.out pass.out || bad "pass: stdout differs from the untraced run"
grep -q 'gate failed' pass.err && bad "pass: $(cat pass.err)"

step 1 growth --gate 'growth > 100B/mark' --gate 'peak > 200MiB' --junit gate.xml \
    --annotate github -- "$grow"
cmp -s native.out growth.out || bad "growth: stdout differs from the untraced run"
[ "$(grep -c 'gate failed' growth.err)" = 1 ] || bad "growth: not one failed-rule line: $(cat growth.err)"
grep -q "gate failed: 'growth > 100B/mark': site grows 256 B/mark (limit 100 B/mark) at .*linear_leak.c:[0-9]* (remember_request)" \
    growth.err || bad "growth: $(cat growth.err)"
grep -Eq "^::error file=[^,]*linear_leak\.c,line=[0-9]+::heaptrace gate 'growth > 100B/mark': " growth.err ||
    bad "growth: no annotation on stderr"
grep -q '^heaptrace: wrote growth.htrace' growth.err || bad "growth: no summary line"
if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout --schema "$xsd" gate.xml 2>xsd.err || bad "junit: $(cat xsd.err)"
fi

step 2 parse --gate 'growth >> 4' -- "$grow"
cmp -s native.out parse.out || bad "parse: stdout differs from the untraced run"
grep -q "cannot parse rule 'growth >> 4'" parse.err || bad "parse: $(cat parse.err)"

step 0 steady --gate 'growth > 0B/mark' --gate 'growth > 0B/s' -- "$steady"
# no marks: time-based; the gate checks the first process (not through env)
SCEN_MARKS=0
step 1 nomarks --gate 'growth > 1KiB/s' -- "$grow"
step 2 needmarks --gate 'growth > 1KiB/mark' -- "$grow"
SCEN_MARKS=1
step 3 progfail --gate 'growth > 100B/mark' -- sh -c "\"$grow\" && exit 3"
step 125 nogate --junit x.xml -- "$grow"

[ "$fail" = 0 ] && echo "ok: heaptrace --gate exit statuses, stdout untouched, stderr lines, JUnit"
exit "$fail"
