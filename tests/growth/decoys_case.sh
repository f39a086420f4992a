#!/bin/sh
# SPDX-License-Identifier: MIT
# decoys_case.sh SHIM REPORT WORKDIR PROGRAM SEEDS
# Runs every steady decoy of PROGRAM (tests/growth/slow_leak.c, --list),
# with marks and without, SEEDS seeds each (--seed 1..SEEDS), and fails when
# any report has a growth finding: caches that warm up to a bound, LRUs at
# capacity, pools and free lists at their high-water mark, arenas, buffers
# grown to the largest request, rotating logs, singletons, collected heaps...
# The runs are deterministic (the program's randomness is its seed).
set -eu
shim=$1 report=$2 work=$3 prog=$4 seeds=$5
# shellcheck source=tests/growth/case_lib.sh
. "$(dirname "$0")/case_lib.sh"
case_setup "$work"
runs=0
for decoy in $("$prog" --list | cut -d' ' -f1); do
    for marks in 1 0; do
        seed=1
        while [ "$seed" -le "$seeds" ]; do
            log=$work/$decoy.$marks.$seed.htrace
            SCEN_MARKS=$marks LD_PRELOAD="$shim" HEAPTRACE_OUT="$log" \
                "$prog" --decoy "$decoy" --seed "$seed" >/dev/null
            "$report" --no-children "$log" >"$log.txt"
            if grep -q '^growth: ' "$log.txt"; then
                bad "decoy $decoy (marks=$marks, seed $seed) has growth findings:"
                sed -n '/^growth: /,/^$/p' "$log.txt" >&2
            fi
            rm -f "$log"
            runs=$((runs + 1))
            seed=$((seed + 1))
        done
    done
done
[ "$fail" = 0 ] && echo "ok: $runs decoy runs, no growth finding"
exit "$fail"
