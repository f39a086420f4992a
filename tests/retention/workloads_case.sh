#!/bin/sh
# workloads_case.sh SHIM REPORT WORKLOADS_DIR BUILD_DIR: the retention graph
# names the culprit of the shared benchmark workloads (issue 4, must show 2):
#   weak_table_server (TEARDOWN=0, so the exit snapshot holds the table): the
#     top retainer is the table's bucket array (table_resize), held by the
#     global `table`;
#   retained_set (snapshots every 10 ms while it runs): the top retainer is
#     the hash set's array (set_add), and it retains nearly all of the heap.
# and the dead-slot and chain detectors (issue 6, must show 1 and 4), with a
# snapshot of the running program every 10 or 20 ms:
#   weak_table_server (TEARDOWN=0): a flagged table held by global `table`
#     whose dead entries at exit equal the program's own dead_slots (within
#     1%), with ~64 live entries in every snapshot and the dead ones still
#     owning their iconv buffers; with BURST_EVERY (a sawtooth): not flagged;
#   linked_queue: CORRECT=0 is a growing chain of node_new nodes whose head
#     main's thread holds (`diag`, on its stack or in a register); CORRECT=1
#     is not flagged.
# The workloads live in ../shared, beside the project, not in a clone of it:
# skipped (77) when they are absent.
set -eu
shim=$1 report=$2 src=$3 out=$4
[ -f "$src/weak_table_server.c" ] || { echo "SKIP: $src not found (../shared is not beside the project)"; exit 77; }
mkdir -p "$out"
for w in weak_table_server retained_set linked_queue; do
    cc -O2 -g -fno-omit-frame-pointer -pthread -o "$out/$w" "$src/$w.c" -lm
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/wts.htrace" LD_PRELOAD="$shim" "$out/weak_table_server" 2000 64 0 0 >/dev/null
HEAPTRACE_SNAPSHOT_INTERVAL=0.01 HEAPTRACE_OUT="$dir/rs.htrace" LD_PRELOAD="$shim" \
    "$out/retained_set" 4000 >/dev/null
HEAPTRACE_SNAPSHOT_INTERVAL=0.01 HEAPTRACE_OUT="$dir/wtsi.htrace" LD_PRELOAD="$shim" \
    "$out/weak_table_server" 30000 64 0 0 >"$dir/wtsi.out"
HEAPTRACE_SNAPSHOT_INTERVAL=0.02 HEAPTRACE_OUT="$dir/wtsb.htrace" LD_PRELOAD="$shim" \
    "$out/weak_table_server" 20000 64 5000 >/dev/null
# the fixed queue runs longer: its backlog wanders (0 to 1024), and only a
# long series tells that from growth
HEAPTRACE_SNAPSHOT_INTERVAL=0.01 HEAPTRACE_OUT="$dir/lq0.htrace" LD_PRELOAD="$shim" \
    "$out/linked_queue" 200000 0 >/dev/null
HEAPTRACE_SNAPSHOT_INTERVAL=0.01 HEAPTRACE_OUT="$dir/lq1.htrace" LD_PRELOAD="$shim" \
    "$out/linked_queue" 1000000 1 >/dev/null
for f in wtsi wtsb lq0 lq1; do
    "$report" --json "$dir/$f.htrace" >"$dir/$f.json"
done
"$report" --json "$dir/wts.htrace" >"$dir/wts.json"
"$report" --json "$dir/rs.htrace" >"$dir/rs.json"
python3 - "$dir/wts.json" "$dir/rs.json" "$dir" <<'PY'
import json, os, re, sys
def fail(msg):
    print("FAIL:", msg); sys.exit(1)
def fn(r):
    return r["stack"][0]["function"] if r["stack"] else None
wts = json.load(open(sys.argv[1]))
top = wts["retainers"][0]
if fn(top) != "table_resize":
    fail("weak_table_server: top retainer from %s, not the bucket array (table_resize)" % fn(top))
root = top["path"][0]
if root["kind"] != "global" or root["name"] != "table":
    fail("weak_table_server: the table is not held by the global `table`: %r" % root)
snap = [s for s in wts["snapshots"] if s["seq"] == wts["retainers_snapshot"]][0]
if top["retained_bytes"] < 0.9 * snap["reachable_bytes"]:
    fail("weak_table_server: the table retains %d of %d reachable bytes"
         % (top["retained_bytes"], snap["reachable_bytes"]))
print("weak_table_server: the table (global `table`) retains %d of %d reachable bytes"
      % (top["retained_bytes"], snap["reachable_bytes"]))
rs = json.load(open(sys.argv[2]))
if len(rs["snapshots"]) < 2:
    fail("retained_set: expected running snapshots, got %r" % rs["snapshots"])
top = rs["retainers"][0]
snap = [s for s in rs["snapshots"] if s["seq"] == rs["retainers_snapshot"]][0]
if fn(top) != "set_add":
    fail("retained_set: top retainer from %s, not the set (set_add)" % fn(top))
if top["retained_bytes"] < 0.9 * snap["reachable_bytes"]:
    fail("retained_set: the set retains %d of %d reachable bytes"
         % (top["retained_bytes"], snap["reachable_bytes"]))
root = top["path"][0]
# main's local, or a copy whichever of the program's functions runs when the
# snapshot is taken holds (set_add, set_put_raw, task_run...)
if root["kind"] != "stack" or not (root.get("file") or "").endswith("retained_set.c"):
    fail("retained_set: the set is not held by a frame of the program's own code: %r" % root)
print("retained_set: the set retains %d of %d reachable bytes, held by the stack, in %s"
      % (top["retained_bytes"], snap["reachable_bytes"], root.get("function")))

d = sys.argv[3]
def load(name):
    return json.load(open(os.path.join(d, name + ".json")))
def fnof(stack):
    return stack[0]["function"] if stack else None
def slot_table(j):
    for t in j["tables"]:
        if fnof(t["entry_stack"]) == "table_insert":
            return t
    return None
own = int(re.search(r"dead_slots=(\d+)", open(os.path.join(d, "wtsi.out")).read()).group(1))
t = slot_table(load("wtsi"))
if not t or not t["flagged"]:
    fail("weak_table_server: the table is not flagged: %r" % (t and [p["dead"] for p in t["snapshots"]]))
if not t["path"] or t["path"][0].get("name") != "table":
    fail("weak_table_server: the table is not named by global `table`: %r" % (t["path"] or [None])[0])
pts = t["snapshots"]
if abs(pts[-1]["dead"] - own) > 0.01 * own:
    fail("weak_table_server: %d dead entries at exit, the program counts %d" % (pts[-1]["dead"], own))
if any(not 62 <= p["live"] <= 64 for p in pts):
    fail("weak_table_server: live entries per snapshot %r, the program keeps 64" % [p["live"] for p in pts])
if pts[-1]["owned_bytes"] < pts[-1]["dead"] * 16384:
    fail("weak_table_server: dead entries own %d bytes for %d iconv_t" % (pts[-1]["owned_bytes"], pts[-1]["dead"]))
print("weak_table_server: table flagged, dead per snapshot %r (the program: %d at the end), "
      "owning %d bytes" % ([p["dead"] for p in pts], own, pts[-1]["owned_bytes"]))
t = slot_table(load("wtsb"))
if t and t["flagged"]:
    fail("weak_table_server with bursts (a sawtooth) is flagged: %r" % [p["dead"] for p in t["snapshots"]])
chains = [c for c in load("lq0")["chains"] if c["flagged"] and fnof(c["node_stack"]) == "node_new"]
if not chains:
    fail("linked_queue CORRECT=0: no growing chain of node_new: %r"
         % [(fnof(c["node_stack"]), [p["length"] for p in c["snapshots"]]) for c in load("lq0")["chains"]])
c = chains[0]
if c["path"][0]["kind"] not in ("stack", "register"): # main's diag, in memory or a register
    fail("linked_queue: the chain's head is not held by main's thread (diag): %r" % c["path"][0])
if any(c["flagged"] for c in load("lq1")["chains"]):
    fail("linked_queue CORRECT=1: a chain is flagged")
print("linked_queue: chain of node_new growing %r, held by %s" % ([p["length"] for p in c["snapshots"]], c["path"][0]["kind"]))
PY
