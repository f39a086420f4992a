#!/bin/sh
# paths_case.sh SHIM REPORT PROGRAM: retention_paths.c's heap, whose answer is
# known, must come out of the report as the program built it: the table is
# the top retainer, held by the global g_ports, and the chain below it is
# reached through .buckets (+8) and bucket [3] (+24); the keeper thread's
# block is held by the stack of the thread named "keeper", in the frame of keeper(); main's __thread
# block by TLS. Needs python3 to read the JSON.
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/run.htrace" LD_PRELOAD="$shim" "$prog" >/dev/null
"$report" --json "$dir/run.htrace" >"$dir/r.json"
"$report" "$dir/run.htrace" >"$dir/r.txt"
grep -q "global \`g_ports\`" "$dir/r.txt" || { echo "FAIL: the text report does not name g_ports"; exit 1; }
python3 - "$dir/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def fail(msg):
    print("FAIL:", msg); sys.exit(1)
def fn(stack):
    return stack[0]["function"] if stack else None
snaps = d["snapshots"]
if len(snaps) != 1 or snaps[0]["reason"] != "exit":
    fail("expected one exit snapshot: %r" % snaps)
want = (3 << 20) + (2 << 20) + 1000 * (4096 + 24) + 16 + 512
if snaps[0]["reachable_bytes"] < want:
    fail("reachable %d < the %d bytes the program holds" % (snaps[0]["reachable_bytes"], want))
# the scan's wall and CPU time (a scan of megabytes takes some; CPU cannot exceed wall by much)
s = snaps[0]
if not (0 < s["scan_cpu_ns"] <= s["scan_ns"] * 1.1 + 1e6):
    fail("scan_ns %d and scan_cpu_ns %d are not a scan's" % (s["scan_ns"], s["scan_cpu_ns"]))
if not (0 < s["index_cpu_ns"] < s["scan_cpu_ns"]):
    fail("index_cpu_ns %d is not a part of scan_cpu_ns %d" % (s["index_cpu_ns"], s["scan_cpu_ns"]))
ret = d["retainers"]
by_fn = {fn(r["stack"]): (i, r) for i, r in enumerate(ret)}
for f in ("make_table", "make_buckets", "slot_new", "payload_new", "keeper_block", "tls_block"):
    if f not in by_fn:
        fail("no retainer allocated in %s: %r" % (f, [fn(r["stack"]) for r in ret]))
# The table retains the chain. A conservative scan may find a stale copy of
# a pointer into the chain (seen rarely under load, in a thread's TLS/TCB
# area), which then roots part of it: at least half the chain is required.
i_table, top = by_fn["make_table"]
if top["retained_bytes"] < 500 * (4096 + 24):
    fail("the table retains only %d bytes" % top["retained_bytes"])
if i_table != 0 and fn(ret[0]["stack"]) not in ("slot_new", "payload_new"):
    fail("the top retainer is neither the table nor its chain: %s" % fn(ret[0]["stack"]))
root = top["path"][0]
if root["kind"] != "global" or root["name"] != "g_ports" or "retention_paths" not in root["module"]:
    fail("the table is not held by global g_ports: %r" % root)
i_buckets, buckets = by_fn["make_buckets"]
i_slots, slots = by_fn["slot_new"]
if buckets["inside"] != i_table:
    fail("nesting: buckets inside %r, not the table" % buckets["inside"])
if slots["blocks"] != 1000:
    fail("slots: %d blocks, the program made 1000" % slots["blocks"])
steps = slots["path"][1:]
if [fn(s["stack"]) for s in steps] != ["make_table", "make_buckets", "slot_new"]:
    fail("path to the chain: %r" % [fn(s["stack"]) for s in steps])
if steps[0]["offset"] != 8 or steps[1]["offset"] != 24:
    fail("pointer offsets %d, %d; the program has .buckets at +8 and [3] at +24"
         % (steps[0]["offset"], steps[1]["offset"]))
keeper = by_fn["keeper_block"][1]["path"][0]
if keeper["kind"] != "stack" or keeper["thread_name"] != "keeper" or keeper.get("function") != "keeper":
    fail("keeper's block is not held by the keeper thread's stack, in keeper(): %r" % keeper)
tls = by_fn["tls_block"][1]["path"][0]
if tls["kind"] != "tls":
    fail("the __thread block is not held by TLS: %r" % tls)
print("retention paths: ok (%d retainers, %d bytes reachable)" % (len(ret), snaps[0]["reachable_bytes"]))
PY
