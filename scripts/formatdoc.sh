#!/usr/bin/env bash
# formatdoc.sh [ROOT]: common/format.h and docs/FORMAT.md name the same
# records with the same tags and the same version (format.h is right when
# they differ; FORMAT.md says so). Checks, both ways:
#   - every HT_REC_* tag of format.h has a row "| 0xNN | NAME |" in FORMAT.md
#     (ALLOC_BASE: "| 0x10+fn | ALLOC |"), and every row a tag;
#   - HT_FORMAT_VERSION is the version in FORMAT.md's title;
#   - every field of a record's payload comment in format.h appears in its
#     FORMAT.md row (the words before ":u", ":s", ":str", ":ref").
# Exit 0 when they agree, 1 naming each difference, 2 when a file is missing.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
h=$root/common/format.h md=$root/docs/FORMAT.md
if [ ! -r "$h" ] || [ ! -r "$md" ]; then echo "formatdoc: cannot read $h or $md" >&2; exit 2; fi

fail=0
# "TAG NAME" from the header's enum and from the doc's table
sed -n 's/^ *HT_REC_\([A-Z_]*\) = \(0x[0-9a-f]*\),.*/\2 \1/p' "$h" | sed 's/^0x10 ALLOC_BASE$/0x10+fn ALLOC/' |
    sort >"${TMPDIR:-/tmp}/formatdoc.h.$$"
sed -n 's/^| \(0x[0-9a-f+fn]*\) | \([A-Z_]*\) |.*/\1 \2/p' "$md" | sort >"${TMPDIR:-/tmp}/formatdoc.md.$$"
trap 'rm -f "${TMPDIR:-/tmp}"/formatdoc.*.$$' EXIT
while read -r tag name; do
    echo "format.h has $name ($tag), docs/FORMAT.md's table does not"; fail=1
done < <(comm -23 "${TMPDIR:-/tmp}/formatdoc.h.$$" "${TMPDIR:-/tmp}/formatdoc.md.$$")
while read -r tag name; do
    echo "docs/FORMAT.md has $name ($tag), format.h does not"; fail=1
done < <(comm -13 "${TMPDIR:-/tmp}/formatdoc.h.$$" "${TMPDIR:-/tmp}/formatdoc.md.$$")

hv=$(sed -n 's/^#define HT_FORMAT_VERSION \([0-9]*\).*/\1/p' "$h")
mv=$(sed -n '1s/.*(version \([0-9]*\)).*/\1/p' "$md")
[ "$hv" = "$mv" ] || { echo "format.h is version $hv, docs/FORMAT.md's title says $mv"; fail=1; }

# Fields: the comment lines above each "HT_REC_NAME = " hold "NAME: dt a:u b:str ...".
hfields=$(awk '
    /^ *\/\*/ { comment = "" }
    { comment = comment " " $0 }
    /^ *HT_REC_[A-Z_]* = 0x/ {
        name = $1; sub(/^HT_REC_/, "", name); if (name == "ALLOC_BASE") name = "ALLOC"
        c = comment; fields = ""
        while (match(c, /[a-z_]+:(u|s|str|ref)[^a-z_]/)) {
            f = substr(c, RSTART, RLENGTH); sub(/:.*/, "", f)
            if (index(" " fields " ", " " f " ") == 0) fields = fields " " f
            c = substr(c, RSTART + RLENGTH)
        }
        print name fields; comment = ""
    }' "$h")
while read -r name fields; do
    row=$(grep "^| 0x[0-9a-f+fn]* | $name |" "$md" || true)
    for f in $fields; do
        case $row in
        *"$f:"*) ;;
        *) echo "format.h's $name has field '$f', docs/FORMAT.md's row does not"; fail=1 ;;
        esac
    done
done <<<"$hfields"
# ... and the other way: the fields of each row's first `...` span in FORMAT.md.
while read -r name fields; do
    hrow=$(grep "^$name " <<<"$hfields" || true)
    for f in $fields; do
        case "$hrow " in
        *" $f "*) ;;
        *) echo "docs/FORMAT.md's $name has field '$f', format.h's comment does not"; fail=1 ;;
        esac
    done
done < <(awk -F'|' '/^\| 0x[0-9a-f+fn]* \| [A-Z_]* \|/ {
        name = $3; gsub(/ /, "", name)
        c = $4; if (!match(c, /`[^`]*`/)) next
        c = substr(c, RSTART, RLENGTH) " "; fields = ""
        while (match(c, /[a-z_]+:(u|s|str|ref)[^a-z_]/)) {
            f = substr(c, RSTART, RLENGTH); sub(/:.*/, "", f)
            if (index(" " fields " ", " " f " ") == 0) fields = fields " " f
            c = substr(c, RSTART + RLENGTH)
        }
        print name fields
    }' "$md")

[ $fail -eq 0 ] && echo "formatdoc: format.h and docs/FORMAT.md agree"
exit $fail
