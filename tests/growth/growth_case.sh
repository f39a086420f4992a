#!/bin/sh
# SPDX-License-Identifier: MIT
# growth_case.sh SHIM REPORT WORKDIR MODE EXPECT RUNS -- PROGRAM [ARGS...]
# Traces PROGRAM RUNS times (MODE: marks = SCEN_MARKS=1, time = no marks) and
# checks the growth section of the text report: EXPECT is "grow:FUNCTION"
# (every site finding names FUNCTION, and there is one) or "steady" (no
# finding at all, in any run). The work directory keeps logs and reports.
set -eu
shim=$1 report=$2 work=$3 mode=$4 expect=$5 runs=$6
shift 7
# Neither a tracer of whoever runs ctest nor its settings may leak in.
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
rm -rf "$work"
mkdir -p "$work"
marks=0
per="per second"
if [ "$mode" = marks ]; then
    marks=1
    per="per mark"
fi
fail=0
i=1
while [ "$i" -le "$runs" ]; do
    log="$work/run$i.htrace"
    SCEN_MARKS=$marks SCEN_SEED=$i LD_PRELOAD="$shim" HEAPTRACE_OUT="$log" "$@" >/dev/null
    "$report" --no-addresses --no-children --top 5 "$log" >"$work/run$i.txt"
    head=$(grep '^growth: ' "$work/run$i.txt" || true)
    sites=$(sed -n 's/^  #[0-9]* site \([^ ]*\) .*/\1/p' "$work/run$i.txt" | sort -u)
    case $expect in
    steady)
        if [ -n "$head" ]; then
            echo "run $i: unexpected growth finding(s):" >&2
            sed -n '/^growth: /,/^$/p' "$work/run$i.txt" >&2
            fail=1
        fi
        ;;
    grow:*)
        fn=${expect#grow:}
        if [ "$sites" != "$fn" ]; then
            echo "run $i: expected growth at site '$fn' only, got '$(echo $sites)'" >&2
            sed -n '/^growth: /,/^$/p' "$work/run$i.txt" >&2
            fail=1
        fi
        case $head in
        *"$per"*) ;;
        *) echo "run $i: expected slopes $per: $head" >&2; fail=1 ;;
        esac
        ;;
    esac
    i=$((i + 1))
done
[ "$fail" = 0 ] && echo "ok: $expect ($mode, $runs run(s))"
exit "$fail"
