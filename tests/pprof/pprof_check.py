#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pprof_check.py - decodes a `heaptrace-report --pprof` profile without Go
(gzip + a hand-written protobuf reader) and checks it against the JSON report
of the same log, so a clone without golang-go still tests the export.

    pprof_check.py PROFILE EXPECT_OUT -- REPORT [REPORT OPTIONS] LOG

Checks what a reader of the profile relies on: string_table[0] is "", every
id a sample, location or line names exists, every sample has one value per
sample type, the default type is inuse_space, and per process (labels pid
and program: a pid that exec'd has one image per program) and per leaf
function every sample type adds up to what the JSON report says
(`heaptrace-report --json --pid N:PROGRAM`): allocations, bytes allocated,
live at the end, the site's share of the peak, memcheck's lost bytes and
blocks, and the growth findings' slopes. Writes EXPECT_OUT for pprof_go.sh:
one line per sample type "TYPE UNIT TOTAL TOP_VALUE TOP_FUNCTION" (the
function with the largest value, "-" when the total is 0).
Exit 0 when everything matches, 1 with one line per mismatch.
"""
import gzip
import json
import subprocess
import sys
from collections import defaultdict

TYPES = ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space", "peak_space",
         "lost_objects", "lost_space", "growth_space_per_mark", "growth_space_per_second"]


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field, wire type, value) of one message; value: int or bytes."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
            if len(v) != n:
                raise ValueError("field %d runs past its message" % f)
        else:
            raise ValueError("unexpected wire type %d (field %d)" % (w, f))
        yield f, w, v


def packed(v):
    if isinstance(v, int):
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x - (1 << 64) if x >= 1 << 63 else x)
    return out


def msg(b):
    d = defaultdict(list)
    for f, _, v in fields(b):
        d[f].append(v)
    return d


def one(d, f, default=0):
    return d[f][-1] if d.get(f) else default


def decode(path):
    p = msg(gzip.open(path).read())
    strings = [s.decode() for s in p[6]]
    prof = {"strings": strings, "types": [], "samples": [], "loc": {}, "fn": {}, "map": {}}
    for vt in p[1]:
        vt = msg(vt)
        prof["types"].append((strings[one(vt, 1)], strings[one(vt, 2)]))
    for m in p[3]:
        m = msg(m)
        prof["map"][one(m, 1)] = strings[one(m, 5)]
    for f in p[5]:
        f = msg(f)
        prof["fn"][one(f, 1)] = (strings[one(f, 2)], strings[one(f, 4)])
    for loc in p[4]:
        loc = msg(loc)
        lines = [msg(ln) for ln in loc[4]]
        prof["loc"][one(loc, 1)] = (one(loc, 2), [(one(ln, 1), one(ln, 2)) for ln in lines])
    for s in p[2]:
        s = msg(s)
        ids = [x for v in s[1] for x in packed(v)]
        vals = [x for v in s[2] for x in packed(v)]
        labels = {}
        for lb in s[3]:
            lb = msg(lb)
            key = strings[one(lb, 1)]
            labels[key] = strings[one(lb, 2)] if one(lb, 2) else one(lb, 3)
        prof["samples"].append((ids, vals, labels))
    prof["default"] = strings[one(p, 14)]
    prof["time_nanos"] = one(p, 9)
    return prof


def frame_name(fr):
    if fr.get("function"):
        return fr["function"]
    if fr.get("module"):
        return "%s+%s" % (fr["module"].rsplit("/", 1)[-1], fr["offset"])
    return fr["address"]


def leaf(stack):
    return frame_name(stack[0]) if stack else "(no stack)"


def expected_by_leaf(rep):
    """{type: {leaf function: value}} from one process's JSON report."""
    want = {t: defaultdict(int) for t in TYPES}
    for s in rep["sites"]:
        fn = leaf(s["stack"])
        want["alloc_objects"][fn] += s["allocations"]
        want["alloc_space"][fn] += s["bytes_allocated"]
        want["inuse_objects"][fn] += s["leaked_blocks"]
        want["inuse_space"][fn] += s["leaked_bytes"]
        want["peak_space"][fn] += s["peak_contribution_bytes"]
    summ = rep["summary"]
    if summ["leaked_means"] == "lost" and rep.get("leaks"):
        for cls in ("definitely_lost", "indirectly_lost"):
            for s in rep["leaks"][cls]["sites"]:
                want["lost_objects"][leaf(s["stack"])] += s["blocks"]
                want["lost_space"][leaf(s["stack"])] += s["bytes"]
    elif summ.get("end_reason") != "exec":
        want["lost_objects"] = dict(want["inuse_objects"])
        want["lost_space"] = dict(want["inuse_space"])
    per_site = {}  # a site with two findings shows the steeper one
    for g in rep["growth"]:
        if g["by"] != "site":
            continue
        key = json.dumps(g["stack"], sort_keys=True)
        if key not in per_site or g["slope_bytes_per_s"] > per_site[key]["slope_bytes_per_s"]:
            per_site[key] = g
    for g in per_site.values():
        fn = leaf(g["stack"])
        if rep.get("growth_samples", {}).get("per") == "mark" and g["slope_bytes_per_mark"]:
            want["growth_space_per_mark"][fn] += round(g["slope_bytes_per_mark"])
        want["growth_space_per_second"][fn] += round(g["slope_bytes_per_s"])
    return want


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    path, expect_out, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
    prof = decode(path)
    bad = []
    if not prof["strings"] or prof["strings"][0] != "":
        bad.append("string_table[0] is not the empty string")
    if [t for t, _ in prof["types"]] != TYPES:
        bad.append("sample types %s, expected %s" % (prof["types"], TYPES))
    if prof["default"] != "inuse_space":
        bad.append("default sample type '%s', expected inuse_space" % prof["default"])
    if not prof["time_nanos"]:
        bad.append("no time_nanos")
    for loc_id, (mapping, lines) in prof["loc"].items():
        if mapping and mapping not in prof["map"]:
            bad.append("location %d names mapping %d, which does not exist" % (loc_id, mapping))
        for fn_id, _ in lines:
            if fn_id not in prof["fn"]:
                bad.append("location %d names function %d, which does not exist" % (loc_id, fn_id))
        if not lines:
            bad.append("location %d has no line (heaptrace symbolizes every frame)" % loc_id)

    # the profile, per pid and leaf function
    got = defaultdict(lambda: {t: defaultdict(int) for t in TYPES})
    for ids, vals, labels in prof["samples"]:
        if len(vals) != len(TYPES):
            bad.append("a sample has %d values for %d sample types" % (len(vals), len(TYPES)))
            continue
        if not ids or any(i not in prof["loc"] for i in ids):
            bad.append("a sample names a location that does not exist: %s" % ids)
            continue
        if "pid" not in labels or "program" not in labels:
            bad.append("a sample without the labels pid and program: %s" % labels)
            continue
        fn = prof["fn"][prof["loc"][ids[0]][1][0][0]][0]
        for t, v in zip(TYPES, vals):
            got[(labels["pid"], labels["program"])][t][fn] += v

    # the JSON report of every process of the tree (or the one of --pid);
    # a pid that exec'd has one image per program: the key is (pid, program)
    top = json.loads(subprocess.run(cmd + ["--json"], check=True, capture_output=True).stdout)
    procs = top["processes"] if "--pid" not in cmd else []
    procs = [(p["pid"], p["exe"]) for p in procs] or [(top["program"]["pid"], top["program"]["exe"])]
    procs = [(pid, exe.rsplit("/", 1)[-1] or "?") for pid, exe in procs]
    totals = {t: defaultdict(int) for t in TYPES}
    for key in procs:
        # a tree's JSON sums the leaks of every process: one process is --pid's
        rep = top if len(procs) == 1 else json.loads(subprocess.run(
            cmd + ["--json", "--pid", "%d:%s" % key], check=True, capture_output=True).stdout)
        want = expected_by_leaf(rep)
        for t in TYPES:
            fns = {f for f, v in want[t].items() if v} | {f for f, v in got[key][t].items() if v}
            for fn in sorted(fns):
                if want[t].get(fn, 0) != got[key][t].get(fn, 0):
                    bad.append("pid %d (%s) %s %s: profile %d, JSON report %d" %
                               (key[0], key[1], t, fn, got[key][t].get(fn, 0), want[t].get(fn, 0)))
                totals[t][fn] += want[t].get(fn, 0)
    extra = set(got) - set(procs)
    if extra:
        bad.append("samples of processes the report does not show: %s" % sorted(extra))

    with open(expect_out, "w") as f:
        for t, unit in zip(TYPES, ["count", "bytes"] * 2 + ["bytes", "count"] + ["bytes"] * 3):
            vals = totals[t]
            total = sum(vals.values())
            fn, v = max(sorted(vals.items()), key=lambda kv: kv[1]) if total else ("-", 0)
            f.write("%s %s %d %d %s\n" % (t, unit, total, v, fn))
    for b in bad:
        print("FAIL: " + b)
    n = len(prof["samples"])
    print("%s: %d samples, %d locations, %d functions, %d mappings, %d processes%s" %
          (path, n, len(prof["loc"]), len(prof["fn"]), len(prof["map"]), len(procs),
           "" if bad else ": matches the JSON report"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
