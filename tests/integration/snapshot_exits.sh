#!/bin/sh
# snapshot_exits.sh SHIM REPORT PROGRAM
# Every way a process ends gets its final heap snapshot, then END, and the
# process ends exactly as it does without heaptrace (status and signal).
set -u
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
for mode in r t u a s; do
    "$prog" "$mode" >"$dir/native.out" 2>/dev/null
    native=$?
    HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/$mode.htrace" LD_PRELOAD="$shim" \
        "$prog" "$mode" >"$dir/traced.out" 2>/dev/null
    traced=$?
    "$report" --dump "$dir/$mode.htrace" >"$dir/$mode.dump" 2>&1
    last=$(awk '$5 ~ /^(SNAPSHOT_END|END)$/ { print $5 }' "$dir/$mode.dump" | tail -2 | tr '\n' ' ')
    if [ "$native" != "$traced" ] || ! cmp -s "$dir/native.out" "$dir/traced.out"; then
        echo "FAIL mode $mode: native status $native, traced $traced (or output differs)"
        fails=$((fails + 1))
    elif [ "$last" != "SNAPSHOT_END END " ]; then
        echo "FAIL mode $mode: the log does not end with a snapshot and END (got: $last)"
        fails=$((fails + 1))
    else
        echo "ok mode $mode: status $traced, snapshot then END ($(grep -o 'reason=[^ ]*' "$dir/$mode.dump" | tail -1))"
    fi
done
[ "$fails" -eq 0 ]
