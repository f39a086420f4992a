#!/usr/bin/env bash
# test_layering.sh SRC TMP: scripts/layering.sh fails on a wrong include, and
# says which file broke which rule.  Each case copies analyzer/ and common/
# into TMP, adds one bad include (or file), and expects exit 1 with the file
# and the rule named; the untouched copy must pass.
set -euo pipefail
src=$1 tmp=$2
check=$src/scripts/layering.sh
rm -rf "$tmp"; mkdir -p "$tmp"

fresh() { rm -rf "$tmp/tree"; mkdir -p "$tmp/tree"; cp -r "$src/analyzer" "$src/common" "$tmp/tree/"; }
# expect_fail WHAT FILE RULE [layering.sh options]: run on $tmp/tree, want exit 1 naming FILE and RULE.
expect_fail() {
    local what=$1 file=$2 rule=$3 rc=0
    shift 3
    bash "$check" --root "$tmp/tree" "$@" >"$tmp/out" 2>&1 || rc=$?
    if [ $rc -ne 1 ]; then echo "FAIL $what: exit $rc, want 1"; cat "$tmp/out"; exit 1; fi
    if ! grep -qE "(^| )$file:? .*rule $rule " "$tmp/out"; then
        echo "FAIL $what: output does not name '$file' and rule '$rule':"; cat "$tmp/out"; exit 1
    fi
    echo "ok   $what: $(grep -E "(^| )$file:? .*rule $rule " "$tmp/out" | head -1)"
}

fresh
bash "$check" --root "$tmp/tree" >"$tmp/out" 2>&1 || { echo "FAIL: the untouched copy does not pass"; cat "$tmp/out"; exit 1; }
echo "ok   untouched copy passes"

fresh; echo '#include "report.h"' >>"$tmp/tree/analyzer/leaks.c"
expect_fail "an analysis includes a writer's header" analyzer/leaks.c analysis-includes-writer

fresh; echo '#include "growth.h"' >>"$tmp/tree/analyzer/replay.c"
expect_fail "replay includes an analysis header" analyzer/replay.c replay-includes-analysis

fresh; echo '#include "replay.h"' >>"$tmp/tree/analyzer/report_flame.c"
expect_fail "a writer includes replay internals" analyzer/report_flame.c writer-includes-replay

fresh; echo '#include "leaks.h"' >>"$tmp/tree/analyzer/reader.h"
expect_fail "a header includes across stages too" analyzer/reader.h log-includes-analysis

fresh; touch "$tmp/tree/analyzer/newstage.c"
expect_fail "a file in no stage" analyzer/newstage.c unstaged-file

fresh; touch "$tmp/tree/common/leaks.c"
expect_fail "two files of one name" analyzer/leaks.c duplicate-file-name

fresh
expect_fail "--extra-include" analyzer/tables.c analysis-includes-writer --extra-include analyzer/tables.c:report_extra.h
# Calls: two tiny objects named like analyzer files, the analysis one calling the writer one.
fresh; mkdir -p "$tmp/obj"
echo 'int report_demo(void) { return 1; }' >"$tmp/obj/report_text.c"
echo 'int report_demo(void); int leaks_demo(void) { return report_demo(); }' >"$tmp/obj/leaks.c"
for c in report_text leaks; do ${CC:-cc} -c "$tmp/obj/$c.c" -o "$tmp/obj/$c.c.o"; done
expect_fail "an analysis calls a writer (nm)" analyzer/leaks.c analysis-calls-writer \
    --objects "$tmp/obj/leaks.c.o" --objects "$tmp/obj/report_text.c.o"
echo "layering check: all cases caught"
