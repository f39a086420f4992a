#!/bin/sh
# api_calls.sh SHIM REPORT PROGRAM: definitely-lost bytes with and without
# heaptrace_ignore()/heaptrace_root() (see api_calls.c).
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lost() { # MODE -> definitely lost bytes
    HEAPTRACE_SNAPSHOTS=1 HEAPTRACE_OUT="$dir/$1.htrace" LD_PRELOAD="$shim" "$prog" "$1" >/dev/null
    "$report" --json "$dir/$1.htrace" | tr -d ' \n' |
        sed -n 's/.*"definitely_lost":{"bytes":\([0-9]*\).*/\1/p'
}
plain=$(lost plain)
calls=$(lost calls)
echo "definitely lost: $plain bytes without the calls, $calls with them"
[ "$plain" = 112 ] || { echo "FAIL: expected 112 bytes lost without the calls"; exit 1; }
[ "$calls" = 0 ] || { echo "FAIL: expected nothing lost with heaptrace_ignore/heaptrace_root"; exit 1; }
