#!/bin/sh
# edge_offsets.sh SHIM EDGE_DUMP PROGRAM: every edge edge_offsets.c expects
# (its fields' offsetof) is in the log with that offset, in a running-program
# snapshot and in the exit snapshot, and each snapshot says how long it scanned.
set -u
shim=$1 dump=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
for mode in api exit; do
    HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/$mode.htrace" LD_PRELOAD="$shim" \
        "$prog" "$mode" >"$dir/$mode.expect" || { echo "FAIL: $mode: program failed"; fails=1; }
    "$dump" "$dir/$mode.htrace" >"$dir/$mode.edges" || { echo "FAIL: $mode: edge_dump failed"; fails=1; }
    while read -r line; do
        if grep -qxF "$mode $line" "$dir/$mode.edges"; then
            echo "ok: $mode $line"
        else
            echo "FAIL: $mode snapshot lacks '$line'; its edges among these blocks:"
            grep "^$mode edge" "$dir/$mode.edges" | head -20
            fails=1
        fi
    done <"$dir/$mode.expect"
    if ! grep -q "^$mode end scan_ns=[1-9][0-9]* scan_cpu_ns=[1-9][0-9]* index_cpu_ns=[1-9]" \
        "$dir/$mode.edges"; then
        echo "FAIL: $mode: SNAPSHOT_END has no scan_ns, scan_cpu_ns or index_cpu_ns"
        fails=1
    fi
done
exit $fails
