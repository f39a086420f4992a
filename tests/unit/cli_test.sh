#!/bin/sh
# cli_test.sh REPORT MKLOG - end-to-end checks of heaptrace-report's options
# and exit codes on synthetic logs. Needs python3 for JSON validation.
set -eu
report=$1
mklog=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fail() { echo "cli_test: $*" >&2; exit 1; }

"$mklog" sample "$dir/s.htrace" 20
"$report" --no-children "$dir/s.htrace" >"$dir/out.txt" || fail "text report failed"
grep -q "allocations" "$dir/out.txt" || fail "no summary"
"$report" --json "$dir/s.htrace" >"$dir/out.json" || fail "json report failed"
python3 - "$dir/out.json" <<'PY' || fail "bad JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format_version"] == 1
s = d["summary"]
for k in ["allocations","frees","bytes_allocated","peak_bytes","peak_time_s","leaked_bytes",
          "leaked_blocks","temporary_allocations","peak_rss_bytes","duration_s","lost_events",
          "log_complete"]:
    assert k in s, k
assert s["allocations"] == 41 and s["lost_events"] == 3 and s["log_complete"] is True
for site in d["sites"]:
    for k in ["allocations","bytes_allocated","peak_bytes","leaked_bytes","leaked_blocks",
              "temporary_allocations","stack"]:
        assert k in site, k
    for f in site["stack"]:
        assert set(["function","file","line","module","address","inlined"]) <= set(f)
assert d["owners"][0]["kind"] == "iconv_open"
assert all(set(["t_s","heap_bytes","mmap_bytes","rss_bytes"]) <= set(t) for t in d["timeline"])
assert 0 < len(d["timeline"]) <= 200
PY
# deterministic output
"$report" --no-addresses "$dir/s.htrace" >"$dir/a.txt"
"$report" --no-addresses "$dir/s.htrace" >"$dir/b.txt"
cmp -s "$dir/a.txt" "$dir/b.txt" || fail "text output differs between runs"
grep -q "0x4" "$dir/a.txt" && fail "--no-addresses printed an address"

# flame graph and massif: their files, and no text report beside them
"$report" --flamegraph "$dir/f.folded" --metric allocations "$dir/s.htrace" >"$dir/f.stdout"
[ ! -s "$dir/f.stdout" ] || fail "--flamegraph printed the text report too"
# a window before the first allocation: nothing to draw, and a warning says so
"$report" --flamegraph "$dir/e.folded" --to 0 --metric allocations "$dir/s.htrace" \
    >/dev/null 2>"$dir/e.err"
[ ! -s "$dir/e.folded" ] || fail "allocations before time 0 in the flame graph"
grep -q "the flame graph '$dir/e.folded' is empty" "$dir/e.err" || fail "no empty-graph warning"
"$report" --version | grep -Eq '^heaptrace-report [0-9]+\.[0-9]+' || fail "--version"
grep -Eq '^prog\+0x[0-9a-f]+(;prog\+0x[0-9a-f]+)* [0-9]+$' "$dir/f.folded" || fail "bad folded stacks"
"$report" --massif "$dir/massif.out" "$dir/s.htrace" >/dev/null
grep -q "heap_tree=peak" "$dir/massif.out" || fail "no peak snapshot"
if command -v ms_print >/dev/null 2>&1; then
    ms_print "$dir/massif.out" >/dev/null || fail "ms_print rejects the massif file"
fi

# diff: a bigger run grows
"$mklog" sample "$dir/big.htrace" 200
"$report" --diff "$dir/s.htrace" "$dir/big.htrace" >"$dir/diff.txt" || fail "diff failed"
grep -q "sites by growth" "$dir/diff.txt" || fail "no diff sites"
"$report" --json --diff "$dir/s.htrace" "$dir/big.htrace" | python3 -m json.tool >/dev/null \
    || fail "bad diff JSON"

# leak classes of the exit snapshot (lb_leak_sample): JSON names and numbers, text section
"$mklog" leaks "$dir/leaks.htrace"
"$report" --json "$dir/leaks.htrace" >"$dir/leaks.json" || fail "leaks json failed"
python3 - "$dir/leaks.json" <<'PY' || fail "bad leaks JSON"
import json, sys
d = json.load(open(sys.argv[1]))
l = d["leaks"]
assert sorted(l) == ["definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable"], l
want = {"definitely_lost": (190, 3), "indirectly_lost": (140, 2), "possibly_lost": (190, 3),
        "still_reachable": (30, 2)}
for k, (nbytes, blocks) in want.items():
    c = l[k]
    assert (c["bytes"], c["blocks"]) == (nbytes, blocks), (k, c)
    assert sum(s["bytes"] for s in c["sites"]) == nbytes and all(
        set(s) == {"bytes", "blocks", "stack"} for s in c["sites"]), c
assert l["definitely_lost"]["sites"][0]["stack"][0]["address"] == "0x404000"
PY
"$report" --json "$dir/s.htrace" | grep -q '"leaks"' && fail "leaks without a snapshot"
"$report" --no-addresses "$dir/leaks.htrace" >"$dir/leaks.txt"
sed -n 4p "$dir/leaks.txt" | grep -q "^verdict: 2 suspects in the program's own code" \
    || fail "the verdict does not lead the text report"
sed -n 5p "$dir/leaks.txt" | grep -q "^  1. leaky+0x4000 leaks 160 B in 2 blocks" \
    || fail "the largest definitely lost site is not the first suspect"
grep -q "^leaks (valgrind memcheck's classes, exit snapshot 2)" "$dir/leaks.txt" \
    || fail "no leaks section in the text report"
grep -q "definitely lost  190 B in 3 blocks" "$dir/leaks.txt" || fail "text leak classes"
"$report" --dump "$dir/leaks.htrace" | grep -q "SNAPSHOT_END pause_ns=2000 edges=8 roots=2" \
    || fail "--dump of snapshot records"

# process tree: 500 -> 501 (fork), 501 exec'd; 502 has no log
mkdir "$dir/tree"
"$mklog" tree "$dir/tree"
"$report" --json "$dir/tree/heaptrace.500" >"$dir/tree.json" 2>"$dir/tree.err"
python3 - "$dir/tree.json" <<'PY' || fail "bad process tree"
import json, sys
d = json.load(open(sys.argv[1]))
pids = sorted(p["pid"] for p in d["processes"])
assert pids == [500, 501, 501], pids
PY
grep -q "no log for child process 502" "$dir/tree.err" || fail "missing child not reported"
"$report" --pid 501 --json "$dir/tree/heaptrace.500" 2>/dev/null | grep -q '"pid":501' \
    || fail "--pid did not select 501"

# exit codes
set +e
"$report" "$dir/nonexistent" 2>"$dir/err"; rc=$?
[ $rc -eq 2 ] || fail "missing file: exit $rc"
grep -q "cannot open '$dir/nonexistent': No such file or directory" "$dir/err" || fail "message"
"$report" --fail-on leak "$dir/s.htrace" 2>/dev/null; [ $? -eq 2 ] || fail "unknown option"
"$report" --top x "$dir/s.htrace" 2>"$dir/err"; [ $? -eq 2 ] || fail "bad --top"
# a usage error: one line saying what, one pointing at --help
if [ "$(wc -l <"$dir/err")" -ne 2 ] || ! grep -q "see 'heaptrace-report --help'" "$dir/err"; then
    fail "a usage error is not two lines: $(cat "$dir/err")"
fi
head -c 100 "$dir/s.htrace" >"$dir/cut.htrace"
"$report" "$dir/cut.htrace" >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] || [ $rc -eq 2 ] || fail "truncated log: exit $rc"
echo "cli_test: ok"
