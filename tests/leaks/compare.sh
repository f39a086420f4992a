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
#                     knowingly reports more than valgrind (see README.md):
#                     lines "delta ROLE CLASS BYTES BLOCKS", heaptrace =
#                     valgrind + the sum of a class's lines (glibc's blocks
#                     valgrind's __libc_freeres frees, the larger DTV under
#                     the preload, counts that depend on where the tree is
#                     built); comments say why. ROLE: root, child, or
#                     children (several child processes, summed); the
#                     tree (the report's sum over every process, compared
#                     with valgrind's processes summed) expects every
#                     role's deltas together. CLASS:
#                     possibly or reachable only: definitely and indirectly
#                     lost must always equal valgrind's. Classes without a
#                     line must agree exactly, so a difference is asserted
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

# The two runs go side by side (on two cores the test takes the longer of
# the two, valgrind's): each is a direct child of this shell, so "the root
# process" is the one whose parent is $$ under both.
# ---- valgrind ---------------------------------------------------------------
# --leak-check-heuristics=none: no heuristic turns an interior pointer into a
# start pointer (heaptrace follows the plain rules). --log-file per pid so a
# forked child's summary is its own.
# An asynchronous command starts with SIGINT and SIGQUIT ignored, which the
# shell cannot undo: env gives them back their default (and execs: still a
# direct child of this shell).
env --default-signal=INT,QUIT \
    valgrind --leak-check=full --show-leak-kinds=all --leak-check-heuristics=none \
    --error-exitcode=0 --trace-children=yes --child-silent-after-fork=no \
    --log-file="$dir/vg.%p" "$@" >"$dir/vg.stdout" 2>"$dir/vg.stderr" &
vg_pid=$!

# ---- heaptrace --------------------------------------------------------------
HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/ht.%p.htrace" LD_PRELOAD="$HEAPTRACE_LIB" \
    "$@" >"$dir/ht.stdout" 2>"$dir/ht.stderr"
ht_status=$?
wait "$vg_pid"
vg_status=$?

status_fail=0
if [ "$vg_status" != "$ht_status" ]; then
    # the program must end the same way traced (a signal's death included)
    echo "FAIL: exit status differs: valgrind $vg_status, heaptrace $ht_status"
    status_fail=1
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
# With ht_tree=1: the report of the whole tree the log starts (its
# top-level "leaks", the sum over the tree's processes: the first of each).
ht_tree=0
ht_classes() {
    if [ "$ht_tree" = 1 ]; then set -- "$1"; else set -- --no-children "$1"; fi
    "$HEAPTRACE_REPORT" --json "$@" 2>"$dir/report.err" | awk '
    /^ *"(definitely_lost|indirectly_lost|possibly_lost|still_reachable)":\{"bytes":/ {
        line = $0
        sub(/^ *"/, "", line)
        name = line; sub(/_.*/, "", name); if (name == "still") name = "reachable"
        b = line; sub(/.*"bytes":/, "", b); sub(/,.*/, "", b)
        k = line; sub(/.*"blocks":/, "", k); sub(/[,}].*/, "", k)
        if (!(name in v)) { v[name] = b " " k; seen++ }
    }
    END {
        if (seen != 4) { print "none"; exit }
        print "definitely", v["definitely"]; print "indirectly", v["indirectly"]
        print "possibly", v["possibly"]; print "reachable", v["reachable"]
    }'
}

# Roles: the root process and the other processes of the tree. A process
# that execs keeps its pid: valgrind's log of it is its last image's (the
# new image writes the same file), heaptrace writes one log per image, each
# naming the one it replaced (parent_log): only a process's last image is
# compared, an image replaced by exec has ended nothing.
vg_root="" ; vg_children=""
for f in "$dir"/vg.*; do
    case $f in *.stdout|*.stderr) continue ;; esac
    ppid=$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\).*/\1/p' "$f" | head -1)
    if [ "$ppid" = "$$" ]; then vg_root=$f; else vg_children="$vg_children $f"; fi
done
: >"$dir/ht.headers"
for f in "$dir"/ht.*.htrace; do
    [ -e "$f" ] || continue
    "$HEAPTRACE_REPORT" --dump "$f" 2>/dev/null | sed -n 's/.* HEADER pid=\([0-9]*\) ppid=\([0-9]*\) .* log_path="\([^"]*\)" parent_log="\([^"]*\)".*/\1 \2 \3 \4/p' |
        head -1 >>"$dir/ht.headers"
done
# pid ppid log parent_log -> "root|child LOG" for each last image
awk -v me="$$" '
    { pid[NR] = $1; ppid[NR] = $2; log_[NR] = $3; parent[NR] = $4; n = NR }
    END {
        for (i = 1; i <= n; i++) {
            replaced = 0
            for (j = 1; j <= n; j++)
                if (j != i && pid[j] == pid[i] && parent[j] == log_[i]) replaced = 1
            if (replaced) continue
            print (ppid[i] == me ? "root" : "child"), log_[i]
        }
    }' "$dir/ht.headers" >"$dir/ht.roles"
ht_root=$(awk '$1 == "root" { print $2 }' "$dir/ht.roles" | head -1)
ht_children=$(awk '$1 == "child" { printf " %s", $2 }' "$dir/ht.roles")
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

fails=$status_fail
# the classes of several processes added up (CLASS BYTES BLOCKS lines)
sum_classes() {
    awk '{ b[$1] += $2; k[$1] += $3 }
         END { for (c in b) print c, b[c], k[c] }' "$@" |
        sort -k1,1 | awk '{ o[$1] = $0 } END { print o["definitely"]; print o["indirectly"]; print o["possibly"]; print o["reachable"] }'
}
compare_role() { # ROLE VGLOG... -- HTLOG...: each tool's processes summed
    role=$1; shift
    : >"$dir/$role.vg.parts"; : >"$dir/$role.ht.parts"
    while [ "$1" != -- ]; do vg_classes "$1" >>"$dir/$role.vg.parts"; shift; done
    shift
    for h in "$@"; do
        ht_classes "$h" >"$dir/one.ht"
        if [ "$(cat "$dir/one.ht")" = none ]; then
            echo "FAIL $role: heaptrace's report of $h has no leak classes (no exit snapshot?)"
            cat "$dir/report.err"
            fails=$((fails + 1)); return
        fi
        cat "$dir/one.ht" >>"$dir/$role.ht.parts"
    done
    sum_classes "$dir/$role.vg.parts" >"$dir/$role.vg"
    sum_classes "$dir/$role.ht.parts" >"$dir/$role.ht"
    printf '%-8s %-11s %22s %22s\n' "$role" class "valgrind bytes/blocks" "heaptrace bytes/blocks"
    for cls in definitely indirectly possibly reachable; do
        v=$(awk -v c="$cls" '$1 == c { print $2 "/" $3 }' "$dir/$role.vg")
        h=$(awk -v c="$cls" '$1 == c { print $2 "/" $3 }' "$dir/$role.ht")
        d=""
        if [ -n "${LEAKS_EXPECT:-}" ]; then
            d=$(awk -v r="$role" -v c="$cls" '$1 == "delta" && ($2 == r || r == "tree") && $3 == c { b += $4; k += $5; n++ }
                END { if (n) print b " " k }' "$LEAKS_EXPECT")
        fi
        verdict=ok
        if [ -n "$d" ]; then
            # a documented difference: heaptrace must give valgrind's + delta,
            # only ever more, and never in the lost classes
            eh=$(printf '%s %s\n' "$v" "$d" | awk '{ split($1, a, "/"); print a[1] + $2 "/" a[2] + $3 }')
            case $cls in
            definitely|indirectly) verdict="FAIL (no difference in lost blocks is excused)" ;;
            *)
                case $d in
                -*|*" -"*) verdict="FAIL (a delta may only add)" ;;
                *) if [ "$h" != "$eh" ]; then verdict="FAIL (heaptrace expected $eh)"
                   elif [ "$v" != "$h" ]; then verdict="differs as documented"; fi ;;
                esac ;;
            esac
        elif [ "$v" != "$h" ]; then
            verdict=FAIL
        fi
        printf '%-8s %-11s %22s %22s  %s\n' "$role" "$cls" "$v" "$h" "$verdict"
        case $verdict in FAIL*) fails=$((fails + 1)) ;; esac
    done
}
compare_role root "$vg_root" -- "$ht_root"
# the children lists are words: split on purpose
# shellcheck disable=SC2086
set -- $vg_children
vgc_n=$#
# shellcheck disable=SC2086
hc_n=$(set -- $ht_children; echo $#)
if [ "$vgc_n" != "$hc_n" ]; then
    echo "FAIL: valgrind saw $vgc_n child process(es), heaptrace $hc_n"
    fails=$((fails + 1))
elif [ "$vgc_n" -eq 1 ]; then
    # shellcheck disable=SC2086 # one word each (a leading space to drop)
    compare_role child $vg_children -- $ht_children
elif [ "$vgc_n" -gt 1 ]; then
    # several children: their classes summed (role "children")
    # shellcheck disable=SC2086
    compare_role children $vg_children -- $ht_children
fi
# The tree as the report sums it (issue 14: top-level "leaks" = every
# process's last image), from the root's first image, against valgrind's
# processes summed; the expected deltas are every role's.
ht_first=$(awk -v me="$$" '$2 == me && $4 == "" { print $3 }' "$dir/ht.headers" | head -1)
if [ "$(wc -l <"$dir/ht.headers")" -gt 1 ] && [ -n "$ht_first" ]; then
    ht_tree=1
    # shellcheck disable=SC2086
    compare_role tree "$vg_root" $vg_children -- "$ht_first"
    ht_tree=0
fi
if [ "$fails" -ne 0 ]; then
    echo "FAIL: $fails class(es) differ"
    [ -n "${LEAKS_VERBOSE:-}" ] && cat "$vg_root"
    exit 1
fi
echo "ok: heaptrace's leak classes are valgrind's${LEAKS_EXPECT:+ (or the documented difference)}"
