#!/bin/sh
# SPDX-License-Identifier: MIT
# stability.sh RUNS [BUILD_DIR [REGEX]]
# Reruns every growth_* scenario test of BUILD_DIR (default: build/ beside
# tests/) whose name matches REGEX (grep -E; default: all) RUNS times, one traced run each time, with different timing: run i
# takes SCEN_SEED=i, SCEN_JITTER (0, 30, 100 or 300 us per request, for the
# scenarios) and on every third run a busy loop competing for the CPU. The
# test commands come from ctest itself (ctest -N -V), so the list and the
# expectations are the ones CMake registers. Prints a markdown table of true
# and false positives and negatives per test, with precision and recall; a
# false finding or a missed growth makes the exit status 1.
# GROWTH_SAMPLE=SIZE in the environment samples every run (growth_case.sh):
#   GROWTH_SAMPLE=512KiB tests/growth/stability.sh 20
# (the growth_*_sampled_* tests, long runs made for it, only then).
# STABILITY_FIRST=K numbers the runs from K (seeds, jitter and load follow
# the number): a second batch adds runs instead of repeating them.
#   TP  a growing program flagged, every finding naming the right function
#   FN  a growing program not flagged
#   WS  a growing program flagged with a finding elsewhere (a wrong site:
#       counted against both precision and recall)
#   FP  a steady program flagged (for none:F: a finding naming F)
#   TN  a steady program not flagged
set -u
runs=${1:?usage: stability.sh RUNS [BUILD_DIR [REGEX]]}
only=${3:-.}
first=${STABILITY_FIRST:-1}
case $first in '' | *[!0-9]* | 0) echo "stability.sh: STABILITY_FIRST wants a run number from 1" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${2:-$here/../../build}" && pwd) || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stability.XXXXXX") || exit 2
load=
# shellcheck disable=SC2317 # reached through the trap
cleanup() {
    [ -z "$load" ] || kill "$load" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# "name<TAB>command": the growth_case.sh tests, without their run count
(cd "$build" && ctest -N -V -R '^growth_' 2>/dev/null) | awk '
    /Test command:/ && /growth_case\.sh/ { sub(/.*Test command: /, ""); gsub(/"/, ""); cmd = $0 }
    /Test *#[0-9]+: growth_/ && cmd != "" { print $3 "\t" cmd; cmd = "" }' |
    grep -E "^[^	]*($only)" | {
        # the *_sampled_* tests are long runs meant for GROWTH_SAMPLE
        if [ -n "${GROWTH_SAMPLE:-}" ]; then cat; else grep -v '^growth_[a-z_]*_sampled_'; fi
    } >"$tmp/cases" || true
[ -s "$tmp/cases" ] || { echo "stability.sh: no growth tests in $build" >&2; exit 2; }

printf '| test | expect | runs | TP | FN | WS | FP | TN | seconds/run |\n'
printf '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
status=0
while IFS='	' read -r name cmd; do
    # words 5..: SHIM REPORT WORK MODE EXPECT RUNS -- PROGRAM ARGS (after sh and the script)
    # shellcheck disable=SC2086 # split on purpose: no test path has blanks
    set -- $cmd
    sh_=$1 script=$2 shim=$3 report=$4 mode=$6 expect=$7
    shift 9
    tp=0 fn=0 ws=0 fp=0 tn=0
    start=$(date +%s.%N)
    i=$first
    while [ "$i" -lt $((first + runs)) ]; do
        case $((i % 4)) in 1) jitter=0 ;; 2) jitter=30 ;; 3) jitter=100 ;; *) jitter=300 ;; esac
        if [ $((i % 3)) = 0 ]; then
            sh -c 'while :; do :; done' &
            load=$!
        fi
        line=$(SEED0=$((i - 1)) SCEN_JITTER=$jitter "$sh_" "$script" "$shim" "$report" \
            "$tmp/work" "$mode" "$expect" 1 -- "$@" 2>"$tmp/err" | grep '^run 1:')
        if [ -n "$load" ]; then
            kill "$load" 2>/dev/null
            wait "$load" 2>/dev/null
            load=
        fi
        n=$(echo "$line" | sed -n 's/.*findings=\([0-9]*\).*/\1/p')
        right=$(echo "$line" | sed -n 's/.*right=\([0-9]*\).*/\1/p')
        case $expect:${n:-x} in
        *:x) echo "stability.sh: $name run $i did not run: $(cat "$tmp/err")" >&2; status=2 ;;
        grow:*)
            if [ "$n" = 0 ]; then fn=$((fn + 1))
            elif [ "$right" = "$n" ]; then tp=$((tp + 1))
            else ws=$((ws + 1)); fi ;;
        none:*) if [ "$right" = 0 ]; then tn=$((tn + 1)); else fp=$((fp + 1)); fi ;;
        *) if [ "$n" = 0 ]; then tn=$((tn + 1)); else fp=$((fp + 1)); fi ;;
        esac
        if [ "$fn$ws$fp" != 000 ] && [ ! -e "$tmp/$name.kept" ]; then
            # the first wrong verdict of a test, for the record
            : >"$tmp/$name.kept"
            sed "s/^/  $name run $i (jitter $jitter us): /" "$tmp/err" >&2
        fi
        i=$((i + 1))
    done
    secs=$(echo "$start $(date +%s.%N) $runs" | awk '{ printf "%.2f", ($2 - $1) / $3 }')
    printf '| %s | %s | %d | %d | %d | %d | %d | %d | %s |\n' \
        "${name#growth_}" "$expect" "$runs" "$tp" "$fn" "$ws" "$fp" "$tn" "$secs"
    echo "$tp $fn $ws $fp $tn" >>"$tmp/totals"
    [ "$fn$ws$fp" = 000 ] || [ "$status" = 2 ] || status=1
done <"$tmp/cases"

awk '{ tp += $1; fn += $2; ws += $3; fp += $4; tn += $5 }
    END {
        p = tp + fp + ws ? tp / (tp + fp + ws) : 1
        r = tp + fn + ws ? tp / (tp + fn + ws) : 1
        printf "| **all** | | %d | %d | %d | %d | %d | %d | |\n\n", tp + fn + ws + fp + tn, tp, fn, ws, fp, tn
        printf "precision %.3f (TP / (TP + FP + WS)), recall %.3f (TP / (TP + FN + WS))\n", p, r
    }' "$tmp/totals"
exit "$status"
