#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/detection.sh - the growth detector's detection curve and false
# positive rate, on one program (tests/growth/slow_leak.c): a steady request
# loop (a 1,000-entry cache with random replacement, per-request
# temporaries) that keeps one block of SIZE bytes every K requests in the
# global `kept`, or runs one steady decoy (slow_leak --list) instead.
#
#   bench/detection.sh                 # the default grid (about 20 min on 2 idle cores)
#   bench/detection.sh --quick         # a few cells: checks the script, measures little
#   options: --seeds N (default 10)  --jobs J (default 2)  --build DIR (default build)
#            --report PATH (another heaptrace-report reads the logs)
#            --before PATH (an older heaptrace-report reads the same logs too:
#                           its columns come first, "before", then "after")
#            --rates "100 1000 ..."  --sizes "64 ..."  --lengths "200000 ..."
#
# A leak run is "found" when a growth finding of the JSON report names
# keep_block (the function that keeps the block), and "named" when that
# finding's retention path also starts at the global `kept`. A decoy run is a
# false positive when its report has any growth finding at all. Prints two
# markdown tables: per run length, size and marks/no marks, the smallest leak
# rate found in at least 95% of the runs (with 10 seeds: all 10); and per
# decoy, the runs with a finding.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$root/build
report='' old_report=''
seeds=10 jobs=2
rates="100 1000 3000 10000 30000 100000"
sizes="64 65536"
lengths="50000 200000 500000"
decoy_length=200000

usage() {
    sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'
}

# verdict REPORT LOG: "findings found named" for one report of LOG
verdict() {
    local json=$2.json found named findings
    "$1" --json --no-children "$2" >"$json" 2>/dev/null || true
    sed -n '/^"growth":\[/,/^"growth_samples"/p' "$json" | grep '^ {"by":' >"$json.g" || true
    findings=$(wc -l <"$json.g")
    found=$(grep -c '"function":"keep_block"' "$json.g" || true)
    named=$(grep '"function":"keep_block"' "$json.g" | grep -c '"path":\[{"kind":"global","name":"kept"' || true)
    echo "$findings $found $named"
    rm -f "$json" "$json.g"
}

# --one KIND ARGS...: one traced run, one result line (the workers' entry)
one() {
    local kind=$1 id=$2 marks=$3 len=$4 seed=$5 size=${6:-0} every=${7:-0} decoy=${8:-none}
    local log=$work/$id.htrace
    local args=(--requests "$len" --seed "$seed")
    [ "$kind" = leak ] && args+=(--leak-every "$every" --leak-size "$size")
    [ "$kind" = decoy ] && args+=(--decoy "$decoy")
    env -u LD_PRELOAD SCEN_MARKS="$marks" LD_PRELOAD="$build/libheaptrace.so" HEAPTRACE_OUT="$log" \
        "$build/tests/growth/slow_leak" "${args[@]}" >/dev/null
    local after before="0 0 0"
    after=$(verdict "$report" "$log")
    [ -z "$old_report" ] || before=$(verdict "$old_report" "$log")
    echo "$kind $marks $len $size $every $decoy $seed $after $before"
    rm -f "$log"
}

if [ "${1:-}" = --one ]; then
    shift
    build=$1 report=$2 old_report=$3 work=$4
    shift 4
    one "$@"
    exit 0
fi

while [ $# -gt 0 ]; do
    case $1 in
        --quick) seeds=2 rates="1000 10000" sizes=64 lengths=200000 ;;
        --seeds) seeds=${2:?}; shift ;;
        --jobs) jobs=${2:?}; shift ;;
        --build) build=$(cd "${2:?}" && pwd); shift ;;
        --report) report=${2:?}; shift ;;
        --before) old_report=${2:?}; shift ;;
        --rates) rates=${2:?}; shift ;;
        --sizes) sizes=${2:?}; shift ;;
        --lengths) lengths=${2:?}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "detection.sh: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
report=${report:-$build/heaptrace-report}
for f in "$build/libheaptrace.so" "$report" "$build/tests/growth/slow_leak"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "detection.sh: error: no $f (build first)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/detection.XXXXXX")
trap 'rm -rf "$work"' EXIT

# the job list: leaks over the grid, then every decoy with and without marks
{
    n=0
    for len in $lengths; do for size in $sizes; do for every in $rates; do for marks in 1 0; do
        # a leak of more than 64 MiB is found by any test: not a cell worth its time
        [ $((len * size / every)) -le $((64 << 20)) ] || continue
        for seed in $(seq 1 "$seeds"); do
            n=$((n + 1))
            echo "leak l$n $marks $len $seed $size $every"
        done
    done; done; done; done
    "$build/tests/growth/slow_leak" --list | while read -r decoy _; do
        for marks in 1 0; do for seed in $(seq 1 "$seeds"); do
            n=$((n + 1))
            echo "decoy d$n $marks $decoy_length $seed 0 0 $decoy"
        done; done
    done
} >"$work/jobs"
start=$(date +%s)
# shellcheck disable=SC2016 # $0.. expand in the worker's shell
xargs -P "$jobs" -L 1 bash -c '"$0" --one "$@"' "$0" "$build" "$report" "${old_report:-}" "$work" \
    <"$work/jobs" >"$work/results"
secs=$(($(date +%s) - start))

have_before=0
[ -z "$old_report" ] || have_before=1
echo "detection curve: the smallest leak rate found in >= 95% of $seeds runs (1/K: one block every K requests)"
echo
awk -v rates="$rates" -v hb="$have_before" '
    $1 == "leak" { key = $3 " " $4 " " $2; runs[key, $5]++; keys[key] = 1
                   if ($9 > 0) found[key, $5]++; if ($10 > 0) named[key, $5]++
                   if ($12 > 0) bfound[key, $5]++ }
    # the largest K (slowest rate) found in >= 95% of its runs; s: 0 after, 1 before
    function best(k, s,    q, e, f, b) {
        b = "none"
        for (q = 1; q <= nr; q++) {
            e = r[q]
            if (!runs[k, e]) continue
            f = s ? bfound[k, e] + 0 : found[k, e] + 0
            if (f >= 0.95 * runs[k, e] && (b == "none" || e + 0 > b + 0)) b = e
        }
        return b == "none" ? "none" : "1/" b
    }
    function at(k, e, s) {
        if (!runs[k, e]) return "-"
        return (s ? bfound[k, e] + 0 : found[k, e] + 0) "/" runs[k, e]
    }
    END {
        nr = split(rates, r, " ")
        print "| requests | block | marks | smallest rate found, before | after | found at 1/10,000, before | after | named (global `kept`) at 1/10,000 |"
        print "| ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: |"
        n = 0
        for (k in keys) list[++n] = k
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
            split(list[i], a, " "); split(list[j], b, " ")
            if (a[1] + 0 > b[1] + 0 || (a[1] == b[1] && (a[2] + 0 > b[2] + 0 || (a[2] == b[2] && a[3] < b[3])))) {
                t = list[i]; list[i] = list[j]; list[j] = t
            }
        }
        for (i = 1; i <= n; i++) {
            k = list[i]; split(k, a, " ")
            printf "| %d | %d B | %s | %s | %s | %s | %s | %s |\n", a[1], a[2], a[3] == 1 ? "yes" : "no",
                hb ? best(k, 1) : "-", best(k, 0), hb ? at(k, 10000, 1) : "-", at(k, 10000, 0),
                runs[k, 10000] ? (named[k, 10000] + 0) "/" runs[k, 10000] : "-"
        }
    }' "$work/results"
echo
echo "false positives: steady decoys, runs with any growth finding ($decoy_length requests)"
echo
awk -v hb="$have_before" '
    $1 == "decoy" { k = $6; tot[k, $2]++; if ($8 > 0) fp[k, $2]++; if ($11 > 0) bfp[k, $2]++
                    kinds[k] = 1; all++; if ($8 > 0) allfp++; if ($11 > 0) ballfp++ }
    function cell(v, t) { return hb ? v "/" t : "-" }
    END {
        print "| decoy | marks, before | after | no marks, before | after |"
        print "| --- | ---: | ---: | ---: | ---: |"
        n = 0
        for (k in kinds) list[++n] = k
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
            if (list[i] > list[j]) { t = list[i]; list[i] = list[j]; list[j] = t }
        for (i = 1; i <= n; i++) {
            k = list[i]
            printf "| %s | %s | %d/%d | %s | %d/%d |\n", k, cell(bfp[k, 1] + 0, tot[k, 1]),
                fp[k, 1] + 0, tot[k, 1], cell(bfp[k, 0] + 0, tot[k, 0]), fp[k, 0] + 0, tot[k, 0]
        }
        printf "| **all runs** | %s | %d/%d (%.1f%%) | | |\n", hb ? sprintf("%d/%d (%.1f%%)", ballfp, all, all ? 100 * ballfp / all : 0) : "-",
            allfp, all, all ? 100 * allfp / all : 0
    }' "$work/results"
echo
echo "($(wc -l <"$work/results") runs in $secs s, $jobs jobs; after: $report${old_report:+; before: $old_report})"
