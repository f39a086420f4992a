#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/pprof/pprof_go.sh - reads a profile pprof_case.sh wrote with Go's own
# reader: `go tool pprof -top` (the default sample type) and
# `go tool pprof -sample_index=TYPE -top` for every sample type, checking the
# total and the top line against WORK/NAME.expect (the JSON report's numbers,
# pprof_check.py), and that FUNCTION leads TYPE for each --expect TYPE=FUNCTION
# (the program's own function, where a user would look first).
#
#   pprof_go.sh NAME WORK [--expect TYPE=FUNCTION]...
#
# Skips (77) when Go is not installed (scripts/check installs golang-go),
# unless HT_REQUIRE_GO=1 (.ci/run sets it): then that is a failure.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 NAME WORK [--expect TYPE=FUNCTION]..." >&2; exit 2; }
name=$1 work=$2
shift 2
go=$(command -v go || true)
[ -n "$go" ] || [ ! -x /usr/lib/go/bin/go ] || go=/usr/lib/go/bin/go
if [ -z "$go" ]; then
    if [ "${HT_REQUIRE_GO:-0}" = 1 ]; then
        echo "FAIL: no go to read the profile with, and HT_REQUIRE_GO=1 (apt-get install golang-go)"
        exit 1
    fi
    echo "SKIP: no go to run 'go tool pprof' (scripts/check installs it: apt-get install golang-go)"
    exit 77
fi
profile=$work/$name.pb.gz expect=$work/$name.expect
if ! { [ -s "$profile" ] && [ -s "$expect" ]; }; then
    echo "FAIL: run pprof_$name first ($profile)"
    exit 1
fi
declare -A want_top=()
while [ $# -gt 0 ]; do
    case $1 in
        --expect) want_top[${2%%=*}]=${2#*=}; shift 2 ;;
        *) echo "$0: error: unknown option '$1'" >&2; exit 2 ;;
    esac
done

fail=0
bad() { echo "FAIL: $*"; fail=1; }
export HOME=${HOME:-$work} # go wants somewhere to keep its settings

# top [ARGS...]: `go tool pprof ARGS -top` on the profile, printed, into $out
top() {
    echo "-- go tool pprof $* -top $profile"
    out=$("$go" tool pprof "$@" -top "$profile" 2>&1) || { echo "$out"; bad "go tool pprof $* failed"; out=; }
    printf '%s\n' "$out" | sed -n '1,12p'
}

top
grep -q '^Type: inuse_space$' <<<"$out" || bad "the default sample type is not inuse_space"
while read -r type unit total value fn; do
    args=(-sample_index="$type")
    suffix=
    [ "$unit" != bytes ] || { args+=(-unit=B); suffix=B; } # exact bytes, not 1.2MB
    top "${args[@]}"
    grep -q "^Type: $type\$" <<<"$out" || bad "$type: 'Type: $type' missing"
    # "Showing nodes accounting for X, P% of TOTAL total"
    got_total=$(sed -n 's/^Showing nodes accounting for .* of \([0-9]*\)B\{0,1\} total$/\1/p' <<<"$out")
    [ "$got_total" = "$total" ] || bad "$type: total '$got_total', the JSON report says $total"
    # the first line under the header: flat flat% sum% cum cum% name
    first=$(sed -n '/^ *flat  *flat%/{n;p;q}' <<<"$out")
    if [ "$total" = 0 ]; then
        [ -z "$first" ] || bad "$type: a line in an empty profile: $first"
        continue
    fi
    read -r flat _ _ _ _ top_fn <<<"$first"
    top_fn=${top_fn% (inline)}
    [ "$flat" = "$value$suffix" ] ||
        bad "$type: the top line's value is $flat, the JSON report's largest is $value$suffix ($fn)"
    awk -v v="$value$suffix" -v fn="$fn" '
        /^ *flat  *flat%/ { rows = 1; next }
        rows { name = $6; for (i = 7; i <= NF; i++) name = name " " $i
               sub(/ \(inline\)$/, "", name) # pprof marks frames inlined into the next
               if ($1 == v && name == fn) found = 1 }
        END { exit !found }' <<<"$out" || bad "$type: no line for $fn with $value$suffix"
    if [ -n "${want_top[$type]:-}" ]; then
        if [ "$top_fn" != "${want_top[$type]}" ] || [ "$fn" != "${want_top[$type]}" ]; then
            bad "$type: '$top_fn' leads, expected '${want_top[$type]}'"
        fi
        unset "want_top[$type]"
    fi
done <"$expect"
for t in "${!want_top[@]}"; do bad "--expect $t: no such sample type"; done
[ "$fail" = 0 ] && echo "go tool pprof reads $profile: every sample type matches the JSON report"
exit "$fail"
