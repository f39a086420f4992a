#!/bin/sh
# SPDX-License-Identifier: MIT
# growth_case.sh SHIM REPORT WORKDIR MODE EXPECT RUNS -- PROGRAM [ARGS...]
# Traces PROGRAM RUNS times (MODE: marks = SCEN_MARKS=1, time = no marks) and
# checks the growth findings of the JSON report. A finding "names" a function
# when the function is anywhere in its stack (the site, or a caller: the path
# that allocates). EXPECT is one of
#   steady          no finding at all, in any run
#   grow:F[,G...]   a finding names F, and every finding names F or a G
#   grow:F@SLOPE    the same; in marks mode a finding naming F grows
#                   SLOPE B/mark (within 10%): marks make slopes per request
#   none:F          no finding names F (others are reported, not failed)
# With EXPECT_HOLDER=G in the environment, the finding naming F must also
# name its holder: a retention path that starts at the global G.
# Each run is also gated ('growth > 0B/mark', or /s without marks): exit 1
# with one failed-rule line naming a site file:line for a growing program,
# 0 for a steady one.
# With GROWTH_SAMPLE=SIZE (not 0) in the environment the runs are sampled
# (HEAPTRACE_SAMPLE=SIZE, heaptrace --sample): slopes are estimates and there
# is no snapshot, so SLOPE and EXPECT_HOLDER are not checked; the findings
# and the gate are. (Not HEAPTRACE_SAMPLE itself: case_setup keeps the
# caller's HEAPTRACE_* settings out.)
# Every run prints "run I: findings=N right=R wrong=W" (right: findings that
# name F or a G) for stability.sh. The runs take SCEN_SEED=SEED0+I (SEED0
# from the environment, default 0) and SCEN_JITTER as it is set. The work
# directory keeps the logs and reports.
set -eu
shim=$1 report=$2 work=$3 mode=$4 expect=$5 runs=$6
shift 7
# shellcheck source=tests/growth/case_lib.sh
. "$(dirname "$0")/case_lib.sh"
case_setup "$work"
marks=0 per=second
if [ "$mode" = marks ]; then
    marks=1 per=mark
fi
kind=${expect%%:*}
want=${expect#*:}
slope=
case $want in *@*) slope=${want#*@} want=${want%@*} ;; esac
main=${want%%,*}
sample=${GROWTH_SAMPLE:-0}
case $sample in
    0 | 0[!0-9]*) sample=0 ;;
    *) slope='' EXPECT_HOLDER='' ;; # estimates, no snapshot: see above
esac
fail=0
i=1
while [ "$i" -le "$runs" ]; do
    log=$work/run$i.htrace
    json=$work/run$i.json
    SCEN_MARKS=$marks SCEN_SEED=$((${SEED0:-0} + i)) LD_PRELOAD="$shim" HEAPTRACE_OUT="$log" \
        HEAPTRACE_SAMPLE=$sample "$@" >/dev/null
    "$report" --json --no-children "$log" >"$json"
    # one finding a line, between the "growth" key and "growth_samples"
    sed -n '/^"growth":\[/,/^"growth_samples"/p' "$json" | grep '^ {"by":' >"$work/run$i.found" || true
    n=$(wc -l <"$work/run$i.found")
    right=$(grep -c -E "\"function\":\"($(echo "$want" | tr ',' '|'))\"" "$work/run$i.found" || true)
    echo "run $i: findings=$n right=$right wrong=$((n - right))"
    show() {
        echo "run $i: $*" >&2
        sed 's/^ {"by":"\([a-z]*\)","function":"\([^"]*\)".*"slope_bytes_per_mark":\([^,]*\),"slope_bytes_per_s":\([^,]*\),.*/  \1 \2: \3 B\/mark, \4 B\/s/' \
            "$work/run$i.found" >&2
    }
    samples=$(grep -o '"growth_samples":{"per":"[a-z]*"' "$json" | sed 's/.*"per":"//; s/"//')
    if [ "$samples" != "$per" ]; then
        echo "run $i: samples per '$samples', expected per $per" >&2
        fail=1
    fi
    unit=s
    [ "$mode" = marks ] && unit=mark
    rc=0
    "$report" --no-children --fail-on "growth > 0B/$unit" "$log" >/dev/null 2>"$work/run$i.gate" || rc=$?
    lines=$(grep -c "gate failed: 'growth > 0B/$unit': .* at [^ ]*:[0-9]* (" "$work/run$i.gate" || true)
    case $kind:$rc:$lines in
    steady:0:0 | grow:1:1 | none:*) ;;
    *) echo "run $i: gate exit $rc, $lines failed-rule line(s): $(cat "$work/run$i.gate")" >&2; fail=1 ;;
    esac
    case $kind in
    steady)
        [ "$n" = 0 ] || { show "unexpected growth finding(s):"; fail=1; }
        ;;
    grow)
        if ! grep -q "\"function\":\"$main\"" "$work/run$i.found" || [ "$right" != "$n" ]; then
            show "expected growth naming '$main' (or '$want') only:"
            fail=1
        elif [ -n "${EXPECT_HOLDER:-}" ] && ! grep "\"function\":\"$main\"" "$work/run$i.found" |
            grep -q "\"path\":\[{\"kind\":\"global\",\"name\":\"$EXPECT_HOLDER\""; then
            show "expected '$main' kept alive by global '$EXPECT_HOLDER':"
            fail=1
        elif [ -n "$slope" ] && [ "$mode" = marks ]; then
            got=$(grep "\"function\":\"$main\"" "$work/run$i.found" | head -1 |
                sed 's/.*"slope_bytes_per_mark":\([^,]*\),.*/\1/')
            if ! awk -v g="$got" -v w="$slope" 'BEGIN { exit !(g >= 0.9 * w && g <= 1.1 * w) }'; then
                show "slope $got B/mark, expected $slope B/mark (per request):"
                fail=1
            fi
        fi
        ;;
    none)
        if [ "$right" != 0 ]; then
            show "unexpected growth naming '$want':"
            fail=1
        elif [ "$n" != 0 ]; then
            show "(not failed) other growth:"
        fi
        ;;
    *)
        echo "bad EXPECT '$expect'" >&2
        exit 2
        ;;
    esac
    i=$((i + 1))
done
[ "$fail" = 0 ] && echo "ok: $expect ($mode, $runs run(s))"
exit "$fail"
