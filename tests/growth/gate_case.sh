#!/bin/sh
# SPDX-License-Identifier: MIT
# gate_case.sh SHIM REPORT WORKDIR GROWING_PROGRAM STEADY_PROGRAM
# The gate the way a user's CI runs it: trace, then heaptrace-report
# --fail-on; checks exit codes 0/1/2, the stderr lines, the JUnit XML
# (xmllint --noout when installed) and the GitHub annotation format.
set -u
shim=$1 report=$2 work=$3 grow=$4 steady=$5
# shellcheck source=tests/growth/case_lib.sh
. "$(dirname "$0")/case_lib.sh"
case_setup "$work"

SCEN_MARKS=1 LD_PRELOAD=$shim HEAPTRACE_OUT=$work/grow.htrace "$grow" >/dev/null || exit 1
SCEN_MARKS=1 LD_PRELOAD=$shim HEAPTRACE_OUT=$work/steady.htrace "$steady" >/dev/null || exit 1
LD_PRELOAD=$shim HEAPTRACE_OUT=$work/grow_nomarks.htrace "$grow" >/dev/null || exit 1

# gate RC NAME ARGS...: runs the report, expects exit RC; output in NAME.{out,err}
gate() {
    want=$1 name=$2
    shift 2
    "$report" --no-children "$@" >"$work/$name.out" 2>"$work/$name.err"
    rc=$?
    [ "$rc" = "$want" ] || { bad "$name: exit $rc, expected $want"; cat "$work/$name.err" >&2; }
}

# 0: passing rules (stdout's buffer, allocated by libc, is never freed: suppressed)
printf 'fun:*_IO_file_doallocate\n' >"$work/libc.supp"
gate 0 pass --suppress "$work/libc.supp" --fail-on 'growth > 1KiB/mark' --fail-on 'leaked > 0' --fail-on 'peak > 200MiB' \
    --fail-on 'owner.iconv_open.live > 1000' "$work/grow.htrace"
gate 0 steady --fail-on 'growth > 0B/s' --fail-on 'growth > 0/mark' "$work/steady.htrace"
[ -s "$work/pass.err" ] && bad "pass: stderr not empty: $(cat "$work/pass.err")"

# 1: growth over the limit, one line naming value, limit and site
gate 1 growth --fail-on 'growth > 100B/mark' --fail-on 'peak > 200MiB' \
    --junit "$work/gate.xml" --annotate github "$work/grow.htrace"
lines=$(grep -c 'gate failed' "$work/growth.err")
[ "$lines" = 1 ] || bad "growth: $lines failure lines, expected 1"
grep -q "^heaptrace-report: gate failed: 'growth > 100B/mark': site grows 256 B/mark (limit 100 B/mark) at .*linear_leak.c:[0-9]* (remember_request)" \
    "$work/growth.err" || bad "growth: stderr line: $(cat "$work/growth.err")"
grep -Eq '^::error file=[^,:]*linear_leak\.c,line=[0-9]+::heaptrace gate .growth > 100B/mark.: ' \
    "$work/growth.out" || bad "annotation: $(grep '^::' "$work/growth.out")"
[ "$(grep -c '^::' "$work/growth.out")" = 1 ] || bad "annotation: not exactly one line"
grep -q '<testsuite name="heaptrace-report".*tests="2" failures="1" errors="0"' "$work/gate.xml" ||
    bad "junit: counts"
grep -q '<failure message=' "$work/gate.xml" || bad "junit: no failure element"
if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$work/gate.xml" || bad "junit: not well-formed"
else
    echo "xmllint not installed: JUnit well-formedness not checked"
fi

# time-based: per-second rule without marks; a /mark rule cannot apply
gate 1 persec --fail-on 'growth > 1KiB/s' "$work/grow_nomarks.htrace"
gate 2 nomarks --fail-on 'growth > 1KiB/mark' "$work/grow_nomarks.htrace"
grep -q "needs marks" "$work/nomarks.err" || bad "nomarks: message"

# 2: a rule that does not parse, and where
gate 2 parse --fail-on 'growth >> 4' "$work/grow.htrace"
grep -qx "heaptrace-report: error: cannot parse rule 'growth >> 4': unexpected '>' at column 9, expected a number" \
    "$work/parse.err" || bad "parse: $(cat "$work/parse.err")"
gate 2 parse2 --fail-on 'peak > 10%' "$work/grow.htrace"
gate 2 parse3 --fail-on 'lekaed > 0' "$work/grow.htrace"
grep -q "unexpected 'l' at column 1" "$work/parse3.err" || bad "parse3: $(cat "$work/parse3.err")"

# baseline: new growth against a steady baseline, none against itself
gate 1 newgrowth --baseline "$work/steady.htrace" --fail-on new-growth "$work/grow.htrace"
grep -q "new growth of 256 B/mark, not in the baseline at .*remember_request" "$work/newgrowth.err" ||
    bad "newgrowth: $(cat "$work/newgrowth.err")"
gate 0 samegrowth --baseline "$work/grow.htrace" --fail-on new-growth --fail-on 'peak > +10%' \
    "$work/grow.htrace"
gate 1 peakrel --baseline "$work/steady.htrace" --fail-on 'peak > +10%' "$work/grow.htrace"
gate 2 nobaseline --fail-on new-growth "$work/grow.htrace"

# suppressions: the growing function is known noise
printf '# known\nfun:remember_*\n' >"$work/supp.txt"
gate 0 suppressed --suppress "$work/supp.txt" --fail-on 'growth > 100B/mark' "$work/grow.htrace"
printf 'function:x\n' >"$work/badsupp.txt"
gate 2 badsupp --suppress "$work/badsupp.txt" "$work/grow.htrace"

[ "$fail" = 0 ] && echo "ok: gate exit codes, messages, JUnit, annotations"
exit "$fail"
