#!/bin/sh
# tree_case.sh LOST_BYTES LOST_BLOCKS PROG [ARGS...]
# Traces PROG (a process tree) with an exit snapshot in every process and
# checks the report's top-level "leaks" of the whole tree (no --pid):
#   - definitely + indirectly lost = LOST_BYTES in LOST_BLOCKS (the program's
#     own known leaks, summed over every image that ended);
#   - each class of it equals the sum over the processes that valgrind
#     --trace-children=yes reports (when valgrind is installed), and
#     possibly lost + still reachable are at least valgrind's;
#   - the text report's tree section says the same.
# Environment: HEAPTRACE_LIB, HEAPTRACE_REPORT (required).
set -u
: "${HEAPTRACE_LIB:?set HEAPTRACE_LIB to libheaptrace.so}"
: "${HEAPTRACE_REPORT:?set HEAPTRACE_REPORT to heaptrace-report}"
[ $# -ge 3 ] || { echo "usage: tree_case.sh LOST_BYTES LOST_BLOCKS PROG [ARGS...]" >&2; exit 2; }
want_bytes=$1 want_blocks=$2
shift 2
dir=$(mktemp -d "${TMPDIR:-/tmp}/tree.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/run.htrace" LD_PRELOAD="$HEAPTRACE_LIB" \
    "$@" >"$dir/ht.stdout" 2>"$dir/ht.stderr" || fail "the program failed under heaptrace: $(cat "$dir/ht.stderr")"
[ -s "$dir/run.htrace" ] || fail "no log for the first process"
echo "logs: $(cd "$dir" && echo ./*.htrace)"

"$HEAPTRACE_REPORT" --json "$dir/run.htrace" >"$dir/r.json" 2>"$dir/r.err" ||
    fail "heaptrace-report --json: $(cat "$dir/r.err")"
"$HEAPTRACE_REPORT" --no-addresses "$dir/run.htrace" >"$dir/r.txt" 2>>"$dir/r.err" ||
    fail "heaptrace-report: $(cat "$dir/r.err")"
# The top-level "leaks" object: one line per class (processes[] hold theirs
# inline, never at the start of a line).
awk '
/^ *"(definitely_lost|indirectly_lost|possibly_lost|still_reachable)":\{"bytes":/ {
    line = $0; sub(/^ *"/, "", line)
    name = line; sub(/_.*/, "", name); if (name == "still") name = "reachable"
    b = line; sub(/.*"bytes":/, "", b); sub(/,.*/, "", b)
    k = line; sub(/.*"blocks":/, "", k); sub(/[,}].*/, "", k)
    print name, b, k
}' "$dir/r.json" >"$dir/ht.classes"
[ "$(wc -l <"$dir/ht.classes")" = 4 ] || fail "the report has no top-level leaks object: $(head -c 600 "$dir/r.json")"
ht() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$dir/ht.classes"; }
lost_b=$(( $(ht definitely 2) + $(ht indirectly 2) ))
lost_k=$(( $(ht definitely 3) + $(ht indirectly 3) ))
echo "heaptrace, whole tree: lost $lost_b B in $lost_k blocks; $(tr '\n' ';' <"$dir/ht.classes")"
[ "$lost_b/$lost_k" = "$want_bytes/$want_blocks" ] ||
    fail "lost $lost_b B in $lost_k blocks, the program loses $want_bytes B in $want_blocks blocks"
# The summary's leaked (lost, with an exit snapshot) of the tree's text section.
grep -q "^leaks of the process tree" "$dir/r.txt" || fail "the text report has no tree leak section"
grep -A1 "^leaks of the process tree" "$dir/r.txt" | grep -q "definitely lost" ||
    fail "the text tree section does not start with the classes"

# The gate's `leaked` is the same sum (docs/CI.md), with heaptrace-report
# and with the wrapper recording and gating in one step.
"$HEAPTRACE_REPORT" --fail-on "leaked > $want_bytes" --fail-on "leaked.blocks > $want_blocks" \
    "$dir/run.htrace" >/dev/null 2>"$dir/gate.err" || fail "gate: $(cat "$dir/gate.err")"
"$HEAPTRACE_REPORT" --fail-on "leaked >= $want_bytes" "$dir/run.htrace" >/dev/null 2>"$dir/gate.err"
[ $? = 1 ] || fail "gate 'leaked >= $want_bytes' did not fail: $(cat "$dir/gate.err")"
if [ -n "${HEAPTRACE_WRAPPER:-}" ]; then
    mkdir "$dir/w"
    "$HEAPTRACE_WRAPPER" -o "$dir/w/run.htrace" --gate "leaked >= $want_bytes" -- "$@" \
        >/dev/null 2>"$dir/w.err"
    rc=$?
    if [ "$rc" != 1 ] ||
        ! grep -q "gate failed: 'leaked >= $want_bytes': lost (definitely + indirectly)" "$dir/w.err"; then
        fail "heaptrace --gate 'leaked >= $want_bytes': exit $rc: $(cat "$dir/w.err")"
    fi
    echo "gate: the tree's lost bytes fail 'leaked >= $want_bytes', with the report and the wrapper"
fi

if ! command -v valgrind >/dev/null 2>&1; then
    echo "note: valgrind is not installed: checked against the program's known leaks only"
    exit 0
fi
valgrind --leak-check=full --show-leak-kinds=all --leak-check-heuristics=none \
    --error-exitcode=0 --trace-children=yes --child-silent-after-fork=no \
    --log-file="$dir/vg.%p" "$@" >"$dir/vg.stdout" 2>"$dir/vg.stderr" ||
    fail "the program failed under valgrind"
# Every process's LEAK SUMMARY, summed (an image replaced by exec has none).
cat "$dir"/vg.[0-9]* | awk '
function num(s) { gsub(/,/, "", s); return s + 0 }
/definitely lost: .* bytes in .* blocks/ { d1 += num($4); d2 += num($7) }
/indirectly lost: .* bytes in .* blocks/ { i1 += num($4); i2 += num($7) }
/possibly lost: .* bytes in .* blocks/   { p1 += num($4); p2 += num($7) }
/still reachable: .* bytes in .* blocks/ { r1 += num($4); r2 += num($7) }
END {
    print "definitely", d1 + 0, d2 + 0; print "indirectly", i1 + 0, i2 + 0
    print "possibly", p1 + 0, p2 + 0; print "reachable", r1 + 0, r2 + 0
}' >"$dir/vg.classes"
vg() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$dir/vg.classes"; }
nvg=$(find "$dir" -name 'vg.[0-9]*' | wc -l)
echo "valgrind, summed over $nvg process logs: $(tr '\n' ';' <"$dir/vg.classes")"
for cls in definitely indirectly; do
    [ "$(ht $cls 2)/$(ht $cls 3)" = "$(vg $cls 2)/$(vg $cls 3)" ] ||
        fail "$cls lost: heaptrace $(ht $cls 2)/$(ht $cls 3), valgrind $(vg $cls 2)/$(vg $cls 3)"
done
[ $(( $(ht possibly 2) + $(ht reachable 2) )) -ge $(( $(vg possibly 2) + $(vg reachable 2) )) ] ||
    fail "possibly + reachable bytes below valgrind's"
echo "ok: the tree's lost bytes and blocks are valgrind's sum and the program's own"
