#!/bin/sh
# shared_case.sh SHIM REPORT PROGRAM: shared_arrays.c's two arrays share
# their 1000 elements; the top retainer is their site (make_array), retaining
# the elements (freeing both arrays releases them), though neither array
# dominates one. Needs python3 to read the JSON.
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/run.htrace" LD_PRELOAD="$shim" "$prog" >/dev/null
"$report" --json "$dir/run.htrace" >"$dir/r.json"
python3 - "$dir/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
top = d["retainers"][0]
fn = top["stack"][0]["function"] if top["stack"] else None
if fn != "make_array":
    print("FAIL: top retainer from %s, not the arrays (make_array): %r"
          % (fn, [(r["stack"][0]["function"] if r["stack"] else None, r["retained_bytes"])
                  for r in d["retainers"][:4]]))
    sys.exit(1)
if top["heads"] != 2 or top["retained_bytes"] < 1000 * 4096 or top["retained_blocks"] < 1002:
    print("FAIL: the arrays retain %d bytes in %d blocks (%d heads): want the 1000 elements"
          % (top["retained_bytes"], top["retained_blocks"], top["heads"]))
    sys.exit(1)
print("make_array's two arrays retain %d bytes in %d blocks" % (top["retained_bytes"], top["retained_blocks"]))
PY
