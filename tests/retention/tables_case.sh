#!/bin/sh
# tables_case.sh SHIM REPORT DEAD_SLOTS NEPOTISM: tables whose dead slots
# keep growing and chains that keep growing (issue 6), on programs whose
# answer is known, with a heap snapshot every 40 (dead_slots) or 200
# (nepotism) marks:
#   dead_slots leaky: a flagged table (vector from table_new, entries from
#     entry_new, chained at +24, value at +8) held by global g_sessions, its
#     dead entries per snapshot equal to the program's own count, the dead
#     still owning their iconv_t buffers; dead_slots correct: not flagged;
#   nepotism leaky: a flagged chain of node_new nodes linked at +0 whose head
#     is held by global g_last_urgent; nepotism correct: no flagged chain;
#   nepotism leaky with a teardown (half the chain freed, then a snapshot):
#     still flagged, the last point at half the peak.
set -eu
shim=$1 report=$2 dead_slots=$3 nepotism=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for mode in leaky correct; do
    HEAPTRACE_SNAPSHOT_EVERY_MARKS=40 HEAPTRACE_OUT="$dir/ds_$mode.htrace" LD_PRELOAD="$shim" \
        "$dead_slots" "$mode" 400 >"$dir/ds_$mode.out"
    HEAPTRACE_SNAPSHOT_EVERY_MARKS=200 HEAPTRACE_OUT="$dir/np_$mode.htrace" LD_PRELOAD="$shim" \
        "$nepotism" "$mode" 2000 >/dev/null
    for p in ds np; do
        "$report" --json "$dir/${p}_$mode.htrace" >"$dir/${p}_$mode.json"
    done
done
HEAPTRACE_SNAPSHOT_EVERY_MARKS=200 HEAPTRACE_OUT="$dir/np_teardown.htrace" LD_PRELOAD="$shim" \
    "$nepotism" leaky 2000 teardown >/dev/null
"$report" --json "$dir/np_teardown.htrace" >"$dir/np_teardown.json"
"$report" "$dir/ds_leaky.htrace" >"$dir/ds_leaky.txt"
grep -q "tables whose dead slots keep growing" "$dir/ds_leaky.txt" ||
    { echo "FAIL: the text report has no dead-slot table section"; exit 1; }
# dark matter: every one of the 400 iconv_t is still open (the sweeper never runs)
grep -Eq "^  iconv_t: 400 live handles hold [0-9.]+ MiB \([0-9.]+ KiB each\), opened at entry_new \(dead_slots.c:[0-9]+\); never closed" \
    "$dir/ds_leaky.txt" || { echo "FAIL: no dark matter line for the 400 open iconv_t"; grep iconv_t "$dir/ds_leaky.txt"; exit 1; }
python3 - "$dir" <<'PY'
import json, os, re, sys
d = sys.argv[1]
def load(name):
    return json.load(open(os.path.join(d, name + ".json")))
def fail(msg):
    print("FAIL:", msg); sys.exit(1)
def fn(stack):
    return stack[0]["function"] if stack else None
def table(j, entry):
    for t in j["tables"]:
        if fn(t["entry_stack"]) == entry:
            return t
    return None
# the program's own count of dead entries at its end
own = int(re.search(r"dead=(\d+)", open(os.path.join(d, "ds_leaky.out")).read()).group(1))
t = table(load("ds_leaky"), "entry_new")
if not t or not t["flagged"]:
    fail("dead_slots leaky: no flagged table of entry_new: %r" % t)
if fn(t["table_stack"]) != "table_new" or t["link_offset"] != 24 or t["value_offset"] != 8:
    fail("dead_slots leaky: shape %s link %r value %r" % (fn(t["table_stack"]), t["link_offset"], t["value_offset"]))
if not t["path"] or t["path"][0].get("name") != "g_sessions":
    fail("dead_slots leaky: the table is not named by global g_sessions: %r" % (t["path"] or [None])[0])
dead = [p["dead"] for p in t["snapshots"]]
# snapshot k (1-based) is taken at mark 40 k: 40 k sessions opened, 32 alive
want = [max(0, 40 * (k + 1) - 32) for k in range(len(dead) - 1)] + [own]
if any(abs(a - b) > 0.01 * b for a, b in zip(dead, want)):
    fail("dead_slots leaky: dead per snapshot %r, the program's count %r" % (dead, want))
last = t["snapshots"][-1]
if last["owned_bytes"] < own * 16384:
    fail("dead_slots leaky: the dead entries own %d bytes; %d iconv_t should own >= 16 KiB each"
         % (last["owned_bytes"], own))
t = table(load("ds_correct"), "entry_new")
if t and (t["flagged"] or any(p["dead"] for p in t["snapshots"])):
    fail("dead_slots correct: flagged or dead entries: %r" % [p["dead"] for p in t["snapshots"]])
chains = [c for c in load("np_leaky")["chains"] if c["flagged"]]
if len(chains) != 1 or fn(chains[0]["node_stack"]) != "node_new" or chains[0]["link_offset"] != 0:
    fail("nepotism leaky: flagged chains %r" % [(fn(c["node_stack"]), c["link_offset"]) for c in chains])
c = chains[0]
if c["path"][0].get("name") != "g_last_urgent" or c["snapshots"][-1]["length"] != 2000:
    fail("nepotism leaky: head held by %r, final length %d" % (c["path"][0], c["snapshots"][-1]["length"]))
if any(c["flagged"] for c in load("np_correct")["chains"]):
    fail("nepotism correct: a chain is flagged")
td = [c for c in load("np_teardown")["chains"] if fn(c["node_stack"]) == "node_new"]
lengths = [p["length"] for p in td[0]["snapshots"]] if td else []
# the teardown's snapshot (half of 2000 freed) and the exit one both come after the peak
if not td or not td[0]["flagged"] or 2000 not in lengths or lengths[-1] > 1000:
    fail("nepotism leaky with a teardown: not flagged, or no teardown point: %r"
         % [(c["flagged"], [p["length"] for p in c["snapshots"]]) for c in td])
print("tables and chains: ok (dead per snapshot %r; chain of %d held by g_last_urgent)"
      % (dead, c["snapshots"][-1]["length"]))
PY
