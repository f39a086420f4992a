#!/bin/bash
# out_paths.sh SHIM REPORT PROGRAM
# HEAPTRACE_OUT follows the never-overwrite rule wherever it points: a
# symlink planted in a world-writable directory (/dev/shm included: no path
# is special because of its name), an existing file, /dev/../ tricks, a
# FIFO: none is opened, followed or changed; the log goes to the next free
# name. Only an existing character device (/dev/null) is written as it is.
# A path of 2000 bytes works; one longer than PATH_MAX is refused with a
# message, never cut. The program's output and status never change.
set -eu
shim=$1 report=$2 program=$3
work=$(mktemp -d)
shm=""
cleanup() { rm -rf "$work" ${shm:+"$shm"}; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
native=$("$program" 2>&1; echo "status $?")

# traced OUT: runs the program with HEAPTRACE_OUT=OUT; stderr in $work/err
traced() {
    local got
    got=$(LD_PRELOAD="$shim" HEAPTRACE_OUT="$1" "$program" 2>"$work/err"; echo "status $?")
    [ "$got" = "$native" ] || fail "HEAPTRACE_OUT=$1: the program's output or status changed: $got"
}
# readable LOG: a whole log
readable() {
    "$report" --dump "$1" >"$work/dump" 2>&1 || fail "$1 does not read back: $(head -3 "$work/dump")"
    grep -q ' END reason=' "$work/dump" || fail "$1 has no END"
}
# kept PATH TEXT: PATH still holds exactly TEXT
kept() {
    [ "$(cat "$2")" = "$1" ] || fail "$2 was written into"
}
# alternative DIR NAME: the log went to DIR/NAME.<pid>.htrace, a regular file
alternative() {
    local alt
    alt=$(find "$1" -maxdepth 1 -type f -name "$2.*.htrace" | head -1)
    [ -n "$alt" ] || fail "no log under the next free name in $1: $(ls -la "$1")"
    readable "$alt"
    rm -f "$alt"
}

for dir in "$work/public" /dev/shm; do
    if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then continue; fi
    if [ "$dir" = /dev/shm ]; then
        shm=$(mktemp -d /dev/shm/heaptrace-out.XXXXXX)
        dir=$shm
    fi
    mkdir -p "$dir"
    chmod 1777 "$dir"
    # a symlink planted where the log will go, pointing at a file of ours
    echo precious >"$work/victim"
    ln -sf "$work/victim" "$dir/run.htrace"
    traced "$dir/run.htrace"
    kept precious "$work/victim"
    [ -L "$dir/run.htrace" ] || fail "the planted symlink was replaced"
    alternative "$dir" run
    # a file someone made beforehand, world-writable
    echo theirs >"$dir/pre.htrace"
    chmod 666 "$dir/pre.htrace"
    traced "$dir/pre.htrace"
    kept theirs "$dir/pre.htrace"
    alternative "$dir" pre
    # a FIFO: never opened (that would block or feed a reader)
    mkfifo "$dir/fifo.htrace"
    traced "$dir/fifo.htrace"
    alternative "$dir" fifo
done

# /dev/.. leads out of /dev: an existing file there is not a device
echo existing >"$work/existing.htrace"
traced "/dev/..$work/existing.htrace"
kept existing "$work/existing.htrace"
alternative "$work" existing

# a character device is written as it is
traced /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a device"

# 2000 bytes of path: used whole, not cut at 1023
long=$work
while [ ${#long} -lt 1950 ]; do
    long=$long/ddddddddddddddddddddddddddddddddddddddddddddddddd
done
mkdir -p "$long"
traced "$long/long.htrace"
readable "$long/long.htrace"

# longer than PATH_MAX: refused, with a message
toolong=$long
while [ ${#toolong} -lt 4200 ]; do
    toolong=$toolong/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
done
traced "$toolong/x.htrace"
grep -q "longer than PATH_MAX" "$work/err" || fail "no message for a HEAPTRACE_OUT beyond PATH_MAX: $(cat "$work/err")"
echo "ok: symlinks, existing files, FIFOs and /dev/.. never written; /dev/null used; 2000-byte path; PATH_MAX refused"
