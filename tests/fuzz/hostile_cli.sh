#!/bin/bash
# SPDX-License-Identifier: MIT
# hostile_cli.sh HEAPTRACE-REPORT HOSTILE-LOG GOOD-LOG
# Inputs that once hung heaptrace-report or drove it out of memory (issue 13):
#  - a FIFO nobody writes to: refused at once (exit 2, "not a regular
#    file"), not a read that blocks forever; a pipe given as '-' on
#    standard input is read;
#  - HOSTILE-LOG (tests/fuzz/mkhostile.py 100000000 | zstd -3: 27 KB, 100 M
#    ALLOC records of live blocks at time 0): refused with exit 2
#    and the record's byte offset within 1.5 GiB of address space, where it
#    used to grow past 2 GiB and die with exit 3.
set -u
report=$1 hostile=$2 good=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkfifo "$dir/fifo" || exit 1
timeout 60 "$report" "$dir/fifo" >/dev/null 2>"$dir/fifo.err"
rc=$?
echo "FIFO: exit $rc: $(cat "$dir/fifo.err")"
if [ "$rc" != 2 ] || ! grep -q "not a regular file (a FIFO)" "$dir/fifo.err"; then
    bad "a FIFO: exit $rc (124: it blocked)"
fi
timeout 60 "$report" --no-children --no-symbols - <"$good" >"$dir/pipe.out" 2>"$dir/pipe.err"
rc=$?
if [ "$rc" != 0 ] || ! grep -q "^heaptrace report" "$dir/pipe.out"; then
    bad "a log on standard input ('-'): exit $rc: $(cat "$dir/pipe.err")"
fi

(ulimit -v 1572864 && timeout 300 "$report" --no-children --no-symbols "$hostile") \
    >/dev/null 2>"$dir/hostile.err"
rc=$?
echo "hostile log: exit $rc: $(cat "$dir/hostile.err")"
if [ "$rc" != 2 ] ||
    ! grep -q "at byte [0-9]*: [0-9]* blocks created by 0 us: more than a recorder can write" "$dir/hostile.err"; then
    bad "the hostile log: exit $rc"
fi
[ "$fails" = 0 ] || exit 1
echo "ok: the FIFO is refused at once, the hostile log with exit 2 and its offset"
