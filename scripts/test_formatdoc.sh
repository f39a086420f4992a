#!/usr/bin/env bash
# test_formatdoc.sh SRC TMP: scripts/formatdoc.sh notices a tag, a field or
# the version told differently by format.h and docs/FORMAT.md.
set -euo pipefail
src=$1 tmp=$2
fresh() { rm -rf "$tmp"; mkdir -p "$tmp/common" "$tmp/docs"; cp "$src/common/format.h" "$tmp/common/"; cp "$src/docs/FORMAT.md" "$tmp/docs/"; }
# expect WHAT TEXT: formatdoc.sh on $tmp exits 1 and says TEXT.
expect() {
    local rc=0
    bash "$src/scripts/formatdoc.sh" "$tmp" >"$tmp/out" 2>&1 || rc=$?
    if [ $rc -ne 1 ] || ! grep -qF "$2" "$tmp/out"; then
        echo "FAIL $1: exit $rc, want 1 and '$2':"; cat "$tmp/out"; exit 1
    fi
    echo "ok   $1"
}
fresh; bash "$src/scripts/formatdoc.sh" "$tmp" >/dev/null || { echo "FAIL: the tree itself disagrees"; exit 1; }
fresh; sed -i 's/| 0x55 | NOTE |/| 0x56 | NOTE |/' "$tmp/docs/FORMAT.md"
expect "a tag" "docs/FORMAT.md has NOTE (0x56), format.h does not"
fresh; sed -i 's/ \[index_cpu_ns:u\]\]\]/]]/' "$tmp/docs/FORMAT.md"
expect "a field only in format.h" "format.h's SNAPSHOT_END has field 'index_cpu_ns'"
fresh; sed -i 's/\[scan_ns:u \[scan_cpu_ns:u \[index_cpu_ns:u\]\]\]/[scan_ns:u [scan_cpu_ns:u]]/' "$tmp/common/format.h"
expect "a field only in FORMAT.md" "docs/FORMAT.md's SNAPSHOT_END has field 'index_cpu_ns'"
fresh; sed -i 's/^#define HT_FORMAT_VERSION .*/#define HT_FORMAT_VERSION 99/' "$tmp/common/format.h"
expect "the version" "format.h is version 99"
echo "formatdoc: all differences caught"
