#!/bin/sh
# massif_check.sh SHIM REPORT PROGRAM [ARGS...]
# Traces PROGRAM, writes its massif file with heaptrace-report --massif and
# reads it back with valgrind's own ms_print: the file must parse, and the
# peak ms_print shows must be the peak heaptrace-report computed.
set -eu
shim=$1 report=$2
shift 2
if ! command -v ms_print >/dev/null 2>&1; then
    echo "ms_print not installed (Debian package valgrind)"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/run.htrace" LD_PRELOAD="$shim" "$@" >/dev/null
"$report" --massif "$dir/massif.out" "$dir/run.htrace" >/dev/null
ms_print "$dir/massif.out" >"$dir/ms.txt"
grep -q "Detailed snapshots: \[.*(peak)\]" "$dir/ms.txt" || {
    echo "FAIL: ms_print found no peak snapshot"
    exit 1
}
peak=$("$report" --json "$dir/run.htrace" | tr ',' '\n' | sed -n 's/.*"peak_bytes":\([0-9]*\).*/\1/p' | head -1)
# ms_print's table lists total(B) with thousands separators; the peak must be there.
pretty=$(printf "%s" "$peak" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
grep -q " $pretty " "$dir/ms.txt" || {
    echo "FAIL: the peak $pretty bytes of the report is not in ms_print's table"
    exit 1
}
echo "ok: ms_print reads the massif file; peak $pretty bytes"
