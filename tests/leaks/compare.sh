#!/bin/sh
# compare.sh PROG [ARGS...]
# Runs PROG under valgrind memcheck (the oracle) and under heaptrace with an
# exit snapshot, and compares the four leak classes (bytes and blocks) of
# every process: the root process with the root process, a forked child with
# the forked child.
#
# Environment:
#   HEAPTRACE_LIB     libheaptrace.so (required)
#   HEAPTRACE_REPORT  heaptrace-report (required)
#   LEAKS_EXPECT      optional expectation file for a case where heaptrace
#                     knowingly differs from valgrind (see README.md). Lines:
#                       valgrind  ROLE CLASS BYTES BLOCKS
#                       heaptrace ROLE CLASS BYTES BLOCKS
#                       delta     ROLE CLASS BYTES BLOCKS   (heaptrace =
#                         valgrind + this: for counts that depend on where
#                         the tree is built, e.g. a dlopened library's path)
#                     ROLE: root or child; CLASS: definitely indirectly
#                     possibly reachable. Both tools must then give exactly
#                     what the file says for the classes it names (the other
#                     classes must still agree), so the difference is asserted
#                     and cannot drift silently.
#   LEAKS_KEEP        keep the work directory (prints its path)
# Exit: 0 agree (or match the expectation), 1 differ, 77 valgrind missing.
set -u
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed (apt-get install valgrind): no oracle to compare with"
    exit 77
fi
: "${HEAPTRACE_LIB:?set HEAPTRACE_LIB to libheaptrace.so}"
: "${HEAPTRACE_REPORT:?set HEAPTRACE_REPORT to heaptrace-report}"
[ $# -ge 1 ] || { echo "usage: compare.sh PROG [ARGS...]" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/leaks.XXXXXX")
if [ -n "${LEAKS_KEEP:-}" ]; then echo "work directory: $dir"; else trap 'rm -rf "$dir"' EXIT; fi

# ---- valgrind ---------------------------------------------------------------
# --leak-check-heuristics=none: no heuristic turns an interior pointer into a
# start pointer (heaptrace follows the plain rules). --log-file per pid so a
# forked child's summary is its own.
valgrind --leak-check=full --show-leak-kinds=all --leak-check-heuristics=none \
    --error-exitcode=0 --trace-children=yes --child-silent-after-fork=no \
    --log-file="$dir/vg.%p" "$@" >"$dir/vg.stdout" 2>"$dir/vg.stderr"
vg_status=$?

# ---- heaptrace --------------------------------------------------------------
HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/ht.%p.htrace" LD_PRELOAD="$HEAPTRACE_LIB" \
    "$@" >"$dir/ht.stdout" 2>"$dir/ht.stderr"
ht_status=$?

if [ "$vg_status" != "$ht_status" ]; then
    echo "note: exit status differs: valgrind $vg_status, heaptrace $ht_status"
fi

# valgrind: "==PID== Parent PID: P" names the parent; the root's parent is us.
# LEAK SUMMARY lines -> "CLASS BYTES BLOCKS"; no summary ("All heap blocks
# were freed") means zeros.
vg_classes() {
    awk '
    function num(s) { gsub(/,/, "", s); return s + 0 }
    /definitely lost: .* bytes in .* blocks/ { d = num($4) " " num($7) }
    /indirectly lost: .* bytes in .* blocks/ { i = num($4) " " num($7) }
    /possibly lost: .* bytes in .* blocks/   { p = num($4) " " num($7) }
    /still reachable: .* bytes in .* blocks/ { r = num($4) " " num($7) }
    END {
        print "definitely", (d == "" ? "0 0" : d)
        print "indirectly", (i == "" ? "0 0" : i)
        print "possibly", (p == "" ? "0 0" : p)
        print "reachable", (r == "" ? "0 0" : r)
    }' "$1"
}
# heaptrace: the "leaks" object of heaptrace-report --json (one line per class).
ht_classes() {
    "$HEAPTRACE_REPORT" --json --no-children "$1" 2>"$dir/report.err" | awk '
    /^ *"(definitely_lost|indirectly_lost|possibly_lost|still_reachable)":\{"bytes":/ {
        line = $0
        sub(/^ *"/, "", line)
        name = line; sub(/_.*/, "", name); if (name == "still") name = "reachable"
        b = line; sub(/.*"bytes":/, "", b); sub(/,.*/, "", b)
        k = line; sub(/.*"blocks":/, "", k); sub(/[,}].*/, "", k)
        v[name] = b " " k; seen++
    }
    END {
        if (seen != 4) { print "none"; exit }
        print "definitely", v["definitely"]; print "indirectly", v["indirectly"]
        print "possibly", v["possibly"]; print "reachable", v["reachable"]
    }'
}

# Roles: the root process and its forked children (by order of pid creation
# in each run: the first child with the first child).
vg_root="" ; vg_children=""
for f in "$dir"/vg.*; do
    case $f in *.stdout|*.stderr) continue ;; esac
    ppid=$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\).*/\1/p' "$f" | head -1)
    if [ "$ppid" = "$$" ]; then vg_root=$f; else vg_children="$vg_children $f"; fi
done
ht_root="" ; ht_children=""
for f in "$dir"/ht.*.htrace; do
    [ -e "$f" ] || continue
    ppid=$("$HEAPTRACE_REPORT" --dump "$f" 2>/dev/null | sed -n 's/.* HEADER .*ppid=\([0-9]*\).*/\1/p' | head -1)
    if [ "$ppid" = "$$" ]; then ht_root=$f; else ht_children="$ht_children $f"; fi
done
[ -n "$vg_root" ] || { echo "FAIL: no valgrind log for the root process"; cat "$dir/vg.stderr"; exit 1; }
[ -n "$ht_root" ] || { echo "FAIL: no heaptrace log for the root process"; cat "$dir/ht.stderr"; exit 1; }
# HEAPTRACE_SNAPSHOT_FORK=0: the exit snapshot was scanned by the exiting
# thread, so its scan lies inside the pause (a child's scan comes after it).
if [ "${HEAPTRACE_SNAPSHOT_FORK:-1}" = 0 ]; then
    end=$("$HEAPTRACE_REPORT" --dump "$ht_root" | grep 'SNAPSHOT_END' | tail -1)
    pause=$(echo "$end" | sed -n 's/.* pause_ns=\([0-9]*\).*/\1/p')
    scan=$(echo "$end" | sed -n 's/.* scan_ns=\([0-9]*\).*/\1/p')
    if [ -z "$pause" ] || [ -z "$scan" ] || [ "$pause" -lt "$scan" ]; then
        echo "FAIL: HEAPTRACE_SNAPSHOT_FORK=0, but the exit snapshot was not scanned in the thread: $end"
        exit 1
    fi
    echo "ok: scanned in the exiting thread (pause_ns $pause >= scan_ns $scan)"
fi

fails=0
compare_role() { # ROLE VGLOG HTLOG
    role=$1
    vg_classes "$2" >"$dir/$role.vg"
    ht_classes "$3" >"$dir/$role.ht"
    if [ "$(cat "$dir/$role.ht")" = none ]; then
        echo "FAIL $role: heaptrace's report has no leak classes (no exit snapshot?)"
        cat "$dir/report.err"
        fails=$((fails + 1)); return
    fi
    printf '%-8s %-11s %22s %22s\n' "$role" class "valgrind bytes/blocks" "heaptrace bytes/blocks"
    for cls in definitely indirectly possibly reachable; do
        v=$(awk -v c="$cls" '$1 == c { print $2 "/" $3 }' "$dir/$role.vg")
        h=$(awk -v c="$cls" '$1 == c { print $2 "/" $3 }' "$dir/$role.ht")
        ev="" ; eh=""
        if [ -n "${LEAKS_EXPECT:-}" ]; then
            ev=$(awk -v r="$role" -v c="$cls" '$1 == "valgrind" && $2 == r && $3 == c { print $4 "/" $5 }' "$LEAKS_EXPECT")
            eh=$(awk -v r="$role" -v c="$cls" '$1 == "heaptrace" && $2 == r && $3 == c { print $4 "/" $5 }' "$LEAKS_EXPECT")
            d=$(awk -v r="$role" -v c="$cls" '$1 == "delta" && $2 == r && $3 == c { print $4 " " $5 }' "$LEAKS_EXPECT")
            if [ -n "$d" ]; then
                eh=$(printf '%s %s\n' "$v" "$d" | awk '{ split($1, a, "/"); print a[1] + $2 "/" a[2] + $3 }')
            fi
        fi
        verdict=ok
        if [ -n "$ev$eh" ]; then
            # a documented difference: each tool must give what the file says
            if [ -n "$ev" ] && [ "$v" != "$ev" ]; then verdict="FAIL (valgrind expected $ev)"; fi
            if [ -n "$eh" ] && [ "$h" != "$eh" ]; then verdict="FAIL (heaptrace expected $eh)"; fi
            [ "$verdict" = ok ] && [ "$v" != "$h" ] && verdict="differs as documented"
        elif [ "$v" != "$h" ]; then
            verdict=FAIL
        fi
        printf '%-8s %-11s %22s %22s  %s\n' "$role" "$cls" "$v" "$h" "$verdict"
        case $verdict in FAIL*) fails=$((fails + 1)) ;; esac
    done
}
compare_role root "$vg_root" "$ht_root"
# the children lists are words: split on purpose
# shellcheck disable=SC2086
set -- $vg_children
vgc_n=$#
# shellcheck disable=SC2086
hc_n=$(set -- $ht_children; echo $#)
if [ "$vgc_n" != "$hc_n" ]; then
    echo "FAIL: valgrind saw $vgc_n child process(es), heaptrace $hc_n"
    fails=$((fails + 1))
elif [ "$vgc_n" -gt 1 ]; then
    echo "FAIL: compare.sh pairs at most one child process"; fails=$((fails + 1))
elif [ "$vgc_n" -eq 1 ]; then
    # shellcheck disable=SC2086 # one word each (a leading space to drop)
    compare_role child $vg_children $ht_children
fi
if [ "$fails" -ne 0 ]; then
    echo "FAIL: $fails class(es) differ"
    [ -n "${LEAKS_VERBOSE:-}" ] && cat "$vg_root"
    exit 1
fi
echo "ok: heaptrace's leak classes are valgrind's${LEAKS_EXPECT:+ (or the documented difference)}"
