#!/bin/sh
# workloads_case.sh SHIM REPORT WORKLOADS_DIR BUILD_DIR: the retention graph
# names the culprit of the shared benchmark workloads (issue 4, must show 2):
#   weak_table_server (TEARDOWN=0, so the exit snapshot holds the table): the
#     top retainer is the table's bucket array (table_resize), held by the
#     global `table`;
#   retained_set (snapshots every 10 ms while it runs): the top retainer is
#     the hash set's array (set_add), and it retains nearly all of the heap.
# The workloads live in ../shared, beside the project, not in a clone of it:
# skipped (77) when they are absent.
set -eu
shim=$1 report=$2 src=$3 out=$4
[ -f "$src/weak_table_server.c" ] || { echo "SKIP: $src not found (../shared is not beside the project)"; exit 77; }
mkdir -p "$out"
for w in weak_table_server retained_set; do
    cc -O2 -g -fno-omit-frame-pointer -pthread -o "$out/$w" "$src/$w.c" -lm
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/wts.htrace" LD_PRELOAD="$shim" "$out/weak_table_server" 2000 64 0 0 >/dev/null
HEAPTRACE_SNAPSHOT_INTERVAL=0.01 HEAPTRACE_OUT="$dir/rs.htrace" LD_PRELOAD="$shim" \
    "$out/retained_set" 4000 >/dev/null
"$report" --json "$dir/wts.htrace" >"$dir/wts.json"
"$report" --json "$dir/rs.htrace" >"$dir/rs.json"
python3 - "$dir/wts.json" "$dir/rs.json" <<'PY'
import json, sys
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
print("retained_set: the set retains %d of %d reachable bytes, held by %s"
      % (top["retained_bytes"], snap["reachable_bytes"], top["path"][0]["kind"]))
PY
