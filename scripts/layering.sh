#!/usr/bin/env bash
# layering.sh: keep the analyzer's data path one-way (issue 15).
#
#   log -> replay -> model -> analyses -> writers -> main
#
# A file may include headers of its own stage or an earlier one, never a later
# one ("analysis-includes-writer": an analysis that formats its own output;
# "replay-includes-analysis": replay that names an analysis).  On top of that,
# writers render the findings model only and must not reach into replay or the
# log reader ("writer-includes-replay").  With --objects, the same rules are
# checked on the calls between object files (nm: who defines what the other
# uses), rule names ending in "-calls-" instead of "-includes-".
#
# Usage: scripts/layering.sh [--root DIR] [--objects LIB_OR_OBJ]...
#                            [--extra-include FILE:HEADER]...
#   --root DIR          the source tree (default: this script's ../)
#   --objects F         a static library or object file of the analyzer; its
#                       members are checked call by call (nm -A)
#   --extra-include F:H pretend F also includes H (to show the check fails)
# Also: no two .c/.h files of preload/, analyzer/ and common/ share a name.
# Exit: 0 the shape holds, 1 a new violation (each printed as
# "FILE: includes HEADER: rule R (why)"), 2 usage error or unreadable tree.
#
# Moving or adding a file: edit STAGES below, nothing else.  Fixing a known
# violation: delete its ALLOW line (the check notes allow lines no longer needed).
set -euo pipefail

# Which file belongs to which stage, earliest first.  Names are file names
# without .c/.h, across analyzer/ and common/; a trailing * matches a prefix.
# Every analyzer/*.c and *.h must be listed (an unlisted file is an error).
STAGES='
base      xalloc htab names graph dominators paths format framecheck varint exitcode protobuf stats
log       reader
replay    replay blockmap symbolize
model     model userframe findings
analysis  analysis gc gc_weak growth growth_retention leaks retention domtree tables suspects gate suppress
writer    report* html_assets
main      main
'

# Crossings forbidden although they point backwards: "FROM TO why".
EXTRA_RULES='
writer replay writers render the findings model, never replay internals
writer log    writers render the findings model, never the raw log reader
'

# Known violations, to shrink as issue 15 proceeds: "FILE TARGET reason", where
# TARGET is an included header or call:OBJECT (the file whose symbols FILE uses).
ALLOW='
analyzer/report_dump.h reader.h          dump renders raw log records by design; it is a log writer, not a findings writer
analyzer/report_dump.c call:reader.c     dump renders raw log records by design (see report_dump.h)
'

usage() { sed -n '14,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
objects=()
extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --root) [ $# -ge 2 ] || usage; root=$2; shift 2 ;;
    --objects) [ $# -ge 2 ] || usage; objects+=("$2"); shift 2 ;;
    --extra-include) [ $# -ge 2 ] || usage; extra+=("$2"); shift 2 ;;
    *) usage ;;
    esac
done
[ -d "$root/analyzer" ] || { echo "layering: no analyzer/ under '$root'" >&2; exit 2; }

# stage_of NAME: the stage of a file name (with or without .c/.h/.c.o), "" if unlisted.
stage_of() {
    local base=${1##*/}
    base=${base%.o}; base=${base%.c}; base=${base%.h}
    local stage n names=()
    while read -r stage n; do
        [ -n "$stage" ] || continue
        read -ra names <<<"$n"            # read -a: no glob expansion of report*
        for n in "${names[@]}"; do
            # shellcheck disable=SC2053  # n is a glob on purpose (report*)
            if [[ $base == $n ]]; then echo "$stage"; return; fi
        done
    done <<<"$STAGES"
}
rank_of() {
    local i=0 stage _
    while read -r stage _; do
        [ -n "$stage" ] || continue
        [ "$stage" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done <<<"$STAGES"
}
# why FROM TO: the reason the crossing is forbidden, empty when it is allowed.
why() {
    local from=$1 to=$2 f t reason
    if [ "$(rank_of "$to")" -gt "$(rank_of "$from")" ]; then
        echo "stage $from must not depend on the later stage $to"
        return
    fi
    while read -r f t reason; do
        [ "$f" = "$from" ] && [ "$t" = "$to" ] && { echo "$reason"; return; }
    done <<<"$EXTRA_RULES"
    return 0
}
allowed() { awk -v f="$1" -v t="$2" '$1 == f && $2 == t { ok = 1 } END { exit !ok }' <<<"$ALLOW"; }

fail=0
used=()
# check FILE TARGET VERB: TARGET is a header (VERB includes) or call:OBJ (VERB calls).
check() {
    local file=$1 target=$2 verb=$3 from to reason
    from=$(stage_of "$file")
    to=$(stage_of "${target#call:}")
    [ -n "$to" ] || return 0          # a system header or a symbol from outside the analyzer
    reason=$(why "$from" "$to")
    [ -n "$reason" ] || return 0
    if allowed "$file" "$target"; then used+=("$file $target"); return 0; fi
    echo "$file: $verb ${target#call:}: rule $from-$verb-$to ($reason)"
    fail=1
}

cd "$root"
shopt -s nullglob
for file in analyzer/*.c analyzer/*.h; do
    if [ -z "$(stage_of "$file")" ]; then
        echo "$file: not in any stage: rule unstaged-file (add it to STAGES in scripts/layering.sh)"
        fail=1
        continue
    fi
    while read -r header; do
        check "$file" "$header" includes
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" | sed 's|.*/||')
done
# One name, one file: no two sources of preload/, analyzer/ and common/ share a name.
while read -r name; do
    paths=
    for d in preload analyzer common; do [ ! -e "$d/$name" ] || paths+="$d/$name "; done
    echo "${paths% }: rule duplicate-file-name (give each file a name that says its job)"
    fail=1
done < <(for f in preload/*.[ch] analyzer/*.[ch] common/*.[ch]; do echo "${f##*/}"; done | sort | uniq -d)
for e in "${extra[@]}"; do
    [ -n "$(stage_of "${e%%:*}")" ] || { echo "layering: '${e%%:*}' is in no stage" >&2; exit 2; }
    check "${e%%:*}" "${e#*:}" includes
done

# Calls: nm -A prints "ARCHIVE:MEMBER: ADDR TYPE SYMBOL" (or "OBJ: ..." for a .o).
if [ ${#objects[@]} -gt 0 ]; then
    command -v nm >/dev/null || { echo "layering: nm not found (binutils)" >&2; exit 2; }
    syms=$(nm -A "${objects[@]}" 2>/dev/null |
        awk 'NF >= 3 { n = split($1, p, ":"); obj = p[n-1]; sub(/.*\//, "", obj);
               t = $(NF-1); s = $NF;
               if (t == "U") print "U", obj, s; else if (t ~ /^[TDBR]$/) print "D", obj, s }') ||
        { echo "layering: nm failed on ${objects[*]}" >&2; exit 2; }
    while read -r user def; do
        check "analyzer/${user%.o}" "call:${def%.o}" calls
    done < <(awk '$1 == "D" { def[$3] = $2 }
                  $1 == "U" { use[++n] = $2 " " $3 }
                  END { for (i = 1; i <= n; i++) { split(use[i], u, " ");
                          if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]] } }' <<<"$syms" |
             sort -u)
fi

# Allow lines that no longer match anything: a note, not a failure, so fixing
# a violation never breaks the build; delete them to keep the list honest.
while read -r file target _; do
    [ -n "$file" ] || continue
    [ ${#objects[@]} -gt 0 ] || [ "${target#call:}" = "$target" ] || continue
    printf '%s\n' "${used[@]}" | grep -qxF "$file $target" ||
        echo "layering: note: allow-list entry '$file $target' is no longer needed" >&2
done <<<"$ALLOW"

if [ $fail -ne 0 ]; then
    echo "layering: the analyzer's data path must point one way (see STAGES and rules in scripts/layering.sh)" >&2
    exit 1
fi
echo "layering: clean"
