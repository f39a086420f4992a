#!/bin/sh
# growth_case.sh SHIM REPORT PROGRAM: growth findings say what keeps the
# growing blocks alive (issue 5): grow_retained.c files records in the global
# g_registry (keep) or drops them unfreed (drop), with a heap snapshot every
# 100 marks. keep: a "retainer" finding for the registry's bucket array held
# by global `g_registry`, and the record site's finding reachable through it;
# drop: the record site's finding unreachable (a true leak), no retainer.
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for mode in keep drop; do
    HEAPTRACE_SNAPSHOT_EVERY_MARKS=100 HEAPTRACE_OUT="$dir/$mode.htrace" LD_PRELOAD="$shim" \
        "$prog" "$mode" 2000 >/dev/null
    "$report" --json "$dir/$mode.htrace" >"$dir/$mode.json"
    "$report" "$dir/$mode.htrace" >"$dir/$mode.txt"
done
grep -q "kept alive by global \`g_registry\`" "$dir/keep.txt" ||
    { echo "FAIL: the text report does not say g_registry keeps the records alive"; cat "$dir/keep.txt"; exit 1; }
grep -q "unreachable: leaked" "$dir/drop.txt" ||
    { echo "FAIL: the text report does not call the dropped records leaked"; exit 1; }
python3 - "$dir/keep.json" "$dir/drop.json" <<'PY'
import json, sys
def fail(msg):
    print("FAIL:", msg); sys.exit(1)
def fn(f):
    return f["stack"][0]["function"] if f["stack"] else None
keep, drop = (json.load(open(p)) for p in sys.argv[1:3])
if len(keep["snapshots"]) < 8:
    fail("keep: %d snapshots, the retainer series needs 8" % len(keep["snapshots"]))
g = {(f["by"], fn(f)): f for f in keep["growth"]}
ret = g.get(("retainer", "registry_new"))
if not ret:
    fail("keep: no retainer finding for registry_new: %r" % list(g))
if ret["reachable"] is not True or ret["path"][0].get("name") != "g_registry":
    fail("keep: the retainer is not held by global g_registry: %r" % ret["path"])
if not 900 <= ret["slope_bytes_per_mark"] <= 1200:
    fail("keep: retainer slope %r bytes/mark, each request keeps 1024" % ret["slope_bytes_per_mark"])
site = g.get(("site", "record_new"))
if not site or site["reachable"] is not True:
    fail("keep: the record site is not a reachable finding: %r" % site)
if [fn(s) for s in site["path"][1:]][:2] != ["registry_new", "record_new"]:
    fail("keep: path to the records: %r" % [fn(s) for s in site["path"][1:]])
if ("retainer", "record_new") in g:
    fail("keep: record_new is nested in registry_new's retainer and must not repeat")
d = {(f["by"], fn(f)): f for f in drop["growth"]}
site = d.get(("site", "record_new"))
if not site or site["reachable"] is not False or site["path"] is not None:
    fail("drop: the record site should be an unreachable finding: %r" % site)
if any(by == "retainer" for by, _ in d):
    fail("drop: nothing retains the dropped records: %r" % list(d))
print("growth by retainer: ok (%+.0f B/mark kept alive by g_registry; dropped records unreachable)"
      % ret["slope_bytes_per_mark"])
PY
