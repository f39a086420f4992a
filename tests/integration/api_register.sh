#!/bin/sh
# api_register.sh SHIM REPORT PROGRAM: a block held only in a callee-saved
# register across heaptrace_snapshot() is reachable in that snapshot; the
# same block dropped first is not (see api_register.c).
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
reachable() { # MODE -> reachable bytes of the api snapshot
    HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/$1.htrace" LD_PRELOAD="$shim" "$prog" "$1" >"$dir/$1.out" ||
        { status=$?; cat "$dir/$1.out"; exit "$status"; }
    "$report" --json "$dir/$1.htrace" | python3 -c '
import json, sys
snaps = [s for s in json.load(sys.stdin).get("snapshots", []) if s["reason"] == "api"]
print(snaps[0]["reachable_bytes"] if len(snaps) == 1 else "none")'
}
held=$(reachable held)
dropped=$(reachable dropped)
echo "api snapshot reachable bytes: $held with the block in rbx, $dropped without it"
if [ "$held" = none ] || [ "$held" -lt 300000 ]; then
    echo "FAIL: the block held in a register should be reachable"
    exit 1
fi
[ "$dropped" -lt 300000 ] || { echo "FAIL: the dropped block should not be reachable"; exit 1; }
