#!/bin/sh
# SPDX-License-Identifier: MIT
# junit_case.sh SHIM REPORT WORKDIR XSD GROWING_PROGRAM
# heaptrace-report --junit against the usual JUnit schema (tests/junit.xsd,
# xmllint --schema): every rule passing, failing, and one that cannot apply
# (an error element); and the counts in the testsuite agree with its cases.
# Skipped (77) without xmllint (package libxml2-utils).
set -u
shim=$1 report=$2 work=$3 xsd=$4 grow=$5
command -v xmllint >/dev/null 2>&1 || { echo "skipped: xmllint not installed (libxml2-utils)"; exit 77; }
# shellcheck source=tests/growth/case_lib.sh
. "$(dirname "$0")/case_lib.sh"
case_setup "$work"

SCEN_MARKS=1 LD_PRELOAD=$shim HEAPTRACE_OUT=$work/marks.htrace "$grow" >/dev/null || exit 1
LD_PRELOAD=$shim HEAPTRACE_OUT=$work/time.htrace "$grow" >/dev/null || exit 1

# junit NAME RC LOG RULE...: the report's exit status, then the file against the schema
junit() {
    name=$1 want=$2 log=$3
    shift 3
    k=$#
    while [ "$k" -gt 0 ]; do # each RULE becomes --fail-on RULE
        set -- "$@" --fail-on "$1"
        shift
        k=$((k - 1))
    done
    "$report" --junit "$work/$name.xml" "$@" "$log" >/dev/null 2>"$work/$name.err"
    rc=$?
    [ "$rc" = "$want" ] || bad "$name: exit $rc, expected $want: $(cat "$work/$name.err")"
    xmllint --noout --schema "$xsd" "$work/$name.xml" 2>"$work/$name.xsd.err" ||
        bad "$name: $(cat "$work/$name.xsd.err")"
    # tests/failures/errors = the cases and their failure/error elements
    for what in testcase:tests failure:failures error:errors; do
        el=${what%%:*} attr=${what#*:}
        n=$(xmllint --xpath "count(//$el)" "$work/$name.xml")
        a=$(xmllint --xpath "string(/testsuite/@$attr)" "$work/$name.xml")
        [ "$n" = "$a" ] || bad "$name: $attr=\"$a\" but $n <$el> element(s)"
    done
}

junit pass 0 "$work/marks.htrace" 'growth > 1KiB/mark' 'peak > 200MiB'
junit fail 1 "$work/marks.htrace" 'growth > 100B/mark' 'peak > 200MiB' 'leaked.blocks > 1000000'
junit error 2 "$work/time.htrace" 'growth > 1KiB/mark' 'growth > 1KiB/s'
[ "$(xmllint --xpath 'count(//testcase[failure])' "$work/fail.xml")" = 1 ] || bad "fail: not one failed case"
xmllint --xpath 'string(//testcase[failure]/@name)' "$work/fail.xml" | grep -qx 'growth > 100B/mark' ||
    bad "fail: the failed case is not named after its rule"
[ "$(xmllint --xpath 'count(//error)' "$work/error.xml")" = 1 ] || bad "error: no error element"
# the schema rejects what it should: the check itself is not vacuous
sed 's/tests="[0-9]*"/tests="two"/' "$work/fail.xml" >"$work/broken.xml"
xmllint --noout --schema "$xsd" "$work/broken.xml" 2>/dev/null && bad "the schema accepts tests=\"two\""

[ "$fail" = 0 ] && echo "ok: JUnit XML validates against $(basename "$xsd") (pass, fail, error)"
exit "$fail"
