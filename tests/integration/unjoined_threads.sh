#!/bin/sh
# unjoined_threads.sh SHIM REPORT PROGRAM: the 4 threads unjoined_threads.c
# never joins nor detaches are the owner kind "thread", with their stacks as
# the bytes; the joined and detached ones are not counted.
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/run.htrace" LD_PRELOAD="$shim" "$prog" >/dev/null
"$report" --json "$dir/run.htrace" >"$dir/r.json"
"$report" "$dir/run.htrace" >"$dir/r.txt"
grep -q "threads: 4 exited but never joined or detached" "$dir/r.txt" ||
    { echo "FAIL: the text report does not count 4 unjoined threads"; grep threads "$dir/r.txt"; exit 1; }
python3 - "$dir/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = [o for o in d["owners"] if o["kind"] == "thread"]
if len(t) != 1:
    sys.exit("FAIL: owners of kind thread: %r" % t)
t = t[0]
# glibc's default stack: 8 MiB (the mapping; the guard page is apart)
if t["live_handles"] != 4 or not 4 * (7 << 20) <= t["bytes"] <= 4 * (9 << 20):
    sys.exit("FAIL: %d unjoined threads holding %d bytes" % (t["live_handles"], t["bytes"]))
print("unjoined threads: %d holding %d bytes of stack" % (t["live_handles"], t["bytes"]))
PY
