#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gc_check.py SHIM REPORT CASE WORKDIR -- PROGRAM ARGS...

Runs PROGRAM under the shim, reads its own counts ("key=value" on stdout),
and checks what a user would check in the report: the "gc" JSON object,
the owners entry of the dark matter, and the text section. CASE: weak
(weak_table.c), weak_dead / weak_self / weak_vacuumed (weak_table_kinds.c),
iconv (iconv_finalizers.c), guile (utf16_ports.scm), guile_weak_self /
guile_weak_independent (weak_key_table.scm).
Exit 77 (skip) when the program cannot run here.
"""
import json
import os
import shutil
import subprocess
import sys

KIB = 1024


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def main():
    shim, report, case, work = sys.argv[1:5]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):
        print(f"SKIP: {cmd[0]} is not installed (scripts/check installs guile-3.0)")
        sys.exit(77)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log = os.path.join(work, "run.htrace")
    env = dict(os.environ, LD_PRELOAD=shim, HEAPTRACE_OUT=log, LANG="C.UTF-8")
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        fail(f"program failed ({run.returncode}): {run.stderr[-2000:]}")
    own = dict(kv.split("=", 1) for kv in run.stdout.split() if "=" in kv)
    own = {k: int(v) for k, v in own.items()}
    print("program says:", own)
    rep = json.loads(subprocess.run([report, "--json", log], check=True,
                                    capture_output=True, text=True).stdout)
    text = subprocess.run([report, log], check=True, capture_output=True, text=True).stdout
    section = text[text.index("garbage collector"):text.index("top sites")]
    print(section)
    check("gc" in rep, "the JSON report has a gc object")
    gc = rep["gc"]
    print("gc:", json.dumps({k: v for k, v in gc.items() if k != "timeline"}))
    check(gc["collector"] == "bdwgc", "collector is bdwgc")
    for key in ("collections", "peak_gc_heap_bytes", "peak_dark_bytes", "disappearing_links",
                "timeline"):
        check(key in gc, f"gc.{key} is there")
    check(gc["collections"] > 0, "collections counted")
    tl = gc["timeline"]
    check(0 < len(tl) <= 200, f"timeline has {len(tl)} samples")
    check(all(set(s) == {"t_s", "gc_heap_bytes", "dark_bytes", "rss_bytes"} for s in tl),
          "timeline samples have t_s, gc_heap_bytes, dark_bytes, rss_bytes")
    check(any(s["gc_heap_bytes"] > 0 and s["rss_bytes"] > 0 for s in tl),
          "timeline samples carry the GC heap and RSS")
    globals()["check_" + case](own, gc, rep, section)


def check_weak(own, gc, rep, section):
    links = gc["disappearing_links"]
    check(links["registered"] == own["registered"],
          f"registered links {links['registered']} == the program's {own['registered']}")
    check(links["unregistered"] == own["unregistered"],
          f"unregistered links {links['unregistered']} == the program's {own['unregistered']}")
    check(abs(links["cleared"] - own["cleared"]) <= own["cleared"] // 100,
          f"cleared links {links['cleared']} ~ the {own['cleared']} slots the program finds NULL")
    check(abs(gc["collections"] - own["collections"]) <= 1,
          f"collections {gc['collections']} ~ GC_get_gc_no() {own['collections']}")
    check(f"{own['registered']} registered" in section, "the text names the registered links")
    t = weak_table(gc, "main")
    check(t["growing_dead"] and t["flagged"], "the never vacuumed table is flagged: dead slots")
    check(t["cleared_not_unregistered"] == links["cleared"], "every cleared slot is still held")
    check("never vacuumed" in section, "the text says the table is never vacuumed")


def weak_table(gc, function):
    """The weak table whose links were registered by `function` (the most links of those)."""
    tables = gc["weak_tables"]
    check(tables, "gc.weak_tables lists the link registration stacks")
    keys = {"stack", "registered", "unregistered", "cleared", "live", "cleared_not_unregistered",
            "dead_slots_dropped", "snapshots", "growing_live", "growing_dead", "flagged"}
    check(all(keys <= set(t) for t in tables), "every weak table has the documented fields")
    mine = [t for t in tables if any(f.get("function") == function for f in t["stack"])]
    check(mine, "a weak table registered from %s" % function)
    t = max(mine, key=lambda t: t["registered"])
    print("table:", json.dumps({k: v for k, v in t.items() if k != "snapshots"})[:600])
    check(all(set(s) == {"t_s", "live", "cleared", "dead"} for s in t["snapshots"]),
          "snapshots have t_s, live, cleared, dead")
    return t


def check_weak_kinds(own, gc, section, dead, live):
    t = weak_table(gc, "weak_put")
    check(t["registered"] == own["registered"],
          f"table links {t['registered']} == the program's {own['registered']}")
    check(t["growing_dead"] is dead, f"growing_dead is {dead}")
    check(t["growing_live"] is live, f"growing_live is {live}")
    check(t["flagged"] is (dead or live), f"flagged is {dead or live}")
    flagged = [x for x in gc["weak_tables"] if x["flagged"]]
    check(len(flagged) == int(dead or live), f"{len(flagged)} table(s) flagged")
    line = [ln for ln in section.splitlines() if "weak table registered at weak_put" in ln]
    check(bool(line) is (dead or live), "the text names the table only when flagged")
    return t


def check_weak_dead(own, gc, rep, section):
    t = check_weak_kinds(own, gc, section, True, False)
    check(abs(t["cleared_not_unregistered"] - own["cleared_held"]) <= own["cleared_held"] // 50,
          f"dead slots {t['cleared_not_unregistered']} ~ the program's {own['cleared_held']}")
    check("never vacuumed" in section, "the text says the table is never vacuumed")


def check_weak_self(own, gc, rep, section):
    t = check_weak_kinds(own, gc, section, False, True)
    check(t["cleared"] == 0 and t["live"] == own["held"], f"{t['live']} live links, none cleared")
    check("never collected" in section, "the text says the entries are never collected")


def check_weak_vacuumed(own, gc, rep, section):
    t = check_weak_kinds(own, gc, section, False, False)
    check(t["cleared_not_unregistered"] <= 2 * own["held"],
          f"dead slots {t['cleared_not_unregistered']} stay near the {own['held']} held")


def check_guile_weak_self(own, gc, rep, section):
    t = weak_table(gc, "scm_hashq_set_x")
    check(t["registered"] >= own["entries"], f"{t['registered']} links for {own['entries']} entries")
    check(t["cleared"] == 0 and own["left"] == own["entries"], "no entry was ever collected")
    check(t["growing_live"] and t["flagged"], "the table is flagged: growing live links")
    check("never collected" in section and "scm_hashq_set_x" in section,
          "the text names the table and says its entries are never collected")


def check_guile_weak_independent(own, gc, rep, section):
    t = weak_table(gc, "scm_hashq_set_x")
    check(t["registered"] >= own["entries"], f"{t['registered']} links for {own['entries']} entries")
    check(t["cleared"] >= own["entries"] * 9 // 10, f"{t['cleared']} links cleared")
    check(not any(x["flagged"] for x in gc["weak_tables"]), "no weak table is flagged")
    check("weak table registered" not in section, "the text flags no weak table")


def iconv_owner(rep):
    owners = [o for o in rep["owners"] if o["kind"] == "iconv_open"]
    check(owners, "an iconv_open owner is listed")
    return max(owners, key=lambda o: o["closed_by_gc_finalizers"])


def check_iconv(own, gc, rep, section):
    o = iconv_owner(rep)
    check(o["opened"] == own["opened"], f"iconv_open opened {o['opened']} == {own['opened']}")
    closed = own["closed_by_finalizer"]
    check(o["closed_by_gc_finalizers"] == closed,
          f"{o['closed_by_gc_finalizers']} handles closed by GC finalizers == the program's {closed}")
    check(gc["finalizers"]["run"] == closed, "every finalizer run is an object's death")
    per_handle = gc["finalizers"]["freed_malloc_bytes"] / max(closed, 1)
    check(24 * KIB < per_handle < 48 * KIB,
          f"finalizers freed {per_handle / KIB:.1f} KiB of malloc per iconv_t (~32 KiB)")
    check(o["peak_bytes"] > gc["peak_gc_heap_bytes"],
          f"iconv_t dark matter peak {o['peak_bytes']} outgrew the GC heap {gc['peak_gc_heap_bytes']}")
    check(gc["peak_dark_bytes"] >= o["peak_bytes"], "peak dark bytes cover the iconv_t bytes")
    check(gc["runs_too_rarely"] is True, "the GC-runs-too-rarely signal is raised")
    fin = [f["function"] for f in o.get("gc_finalizer_stack", [])]
    check("converter_new" in fin, f"the GC objects' finalizers were registered in converter_new: {fin}")
    check("GC runs too rarely" in section and "iconv_open" in section,
          "the text names the signal and the iconv_open owner")


def check_guile(own, gc, rep, section):
    o = iconv_owner(rep)
    check(o["closed_by_gc_finalizers"] > 0,
          f"{o['closed_by_gc_finalizers']} port iconv_t closed by GC finalizers")
    check(len(o.get("gc_finalizer_stack", [])) > 0, "the finalizers' registration stack is named")
    check(o["opened"] >= own["ports"] // 2, f"{o['opened']} iconv_open for {own['ports']} ports")
    check(gc["finalizers"]["registered"] >= o["opened"], "port finalizers registered")
    check(gc["disappearing_links"]["registered"] > 0, "Guile's weak tables register links")
    check(gc["peak_gc_heap_bytes"] >= own["live_mib"] << 20,
          f"GC heap peak {gc['peak_gc_heap_bytes'] >> 20} MiB holds the live {own['live_mib']} MiB")
    check(abs(gc["collections"] - own["collections"]) <= 2,
          f"collections {gc['collections']} ~ Guile's gc-times {own['collections']}")
    check("dark matter held by GC objects" in section, "the text names the GC-held dark matter")


if __name__ == "__main__":
    main()
