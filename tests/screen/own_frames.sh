#!/bin/sh
# SPDX-License-Identifier: MIT
#
# own_frames.sh - no report names heaptrace's own frames: every report the
# test suite wrote under TESTS_DIR (text or JSON, recognised by its first
# line) and the --full text report of every log there (at most 2 MB each,
# without its children) is searched for heaptrace__*, libheaptrace and
# preload/*.c; one of them anywhere (a stack, a retention path, a stack
# root "in heaptrace__mark") fails the test. Run after the other tests
# (ctest DEPENDS); on a fresh build directory it reads what is there.
#
#   own_frames.sh REPORT TESTS_DIR
set -u
[ $# -eq 2 ] || { echo "usage: own_frames.sh REPORT TESTS_DIR" >&2; exit 2; }
report=$1 dir=$2
pattern='heaptrace__[a-z]|libheaptrace|[^a-z]preload/[a-z_]+\.c'
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
bad=0 files=0 logs=0

check() { # FILE WHAT
    if grep -nE "$pattern" "$1" >"$tmp/hits"; then
        echo "own_frames: $2 names heaptrace's own frames:" >&2
        head -n 3 "$tmp/hits" >&2
        bad=$((bad + 1))
    fi
}

find "$dir" -type f -not -path '*/CMakeFiles/*' -size -8M >"$tmp/files"
while IFS= read -r f; do
    case $(head -c 40 "$f" 2>/dev/null) in
        'heaptrace report:'* | '{"format_version"'*)
            files=$((files + 1))
            check "$f" "$f" ;;
    esac
done <"$tmp/files"
find "$dir" -type f -name '*.htrace' -size -2M >"$tmp/logs"
while IFS= read -r log; do
    logs=$((logs + 1))
    "$report" --full --no-children --no-addresses --color never "$log" >"$tmp/full.txt" \
        2>/dev/null </dev/null || continue # a broken log on purpose: its own test checks it
    check "$tmp/full.txt" "the --full report of $log"
done <"$tmp/logs"
echo "own_frames: $files reports and $logs logs read, $bad with heaptrace's frames"
[ "$files" -gt 0 ] || [ "$logs" -gt 0 ] || { echo "own_frames: nothing to read in $dir" >&2; exit 1; }
[ "$bad" -eq 0 ]
