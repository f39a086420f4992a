#!/bin/sh
# unwind_same.sh SHIM REPORT PROGRAM [ARGS...]
# Records PROGRAM twice with address randomization off, once with the hybrid
# unwinder (the default) and once with HEAPTRACE_UNWIND=libunwind, and fails
# unless both logs hold exactly the same set of stacks.
set -eu
shim=$1 report=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! setarch "$(uname -m)" -R true 2>/dev/null; then
    echo "setarch -R is not permitted here: cannot compare addresses across runs"
    exit 77
fi
for mode in hybrid libunwind; do
    # setarch and env run untraced; only the program gets the shim
    setarch "$(uname -m)" -R env HEAPTRACE_UNWIND="$mode" HEAPTRACE_OUT="$dir/$mode.htrace" \
        LD_PRELOAD="$shim" "$@" >/dev/null
    "$report" --dump "$dir/$mode.htrace" | awk '$5 == "STACK" { $1 = $2 = $3 = $4 = $6 = ""; print }' |
        sort -u >"$dir/$mode.stacks"
done
n=$(wc -l <"$dir/hybrid.stacks")
if [ "$n" -lt 5 ]; then
    echo "FAIL: only $n stacks recorded"
    exit 1
fi
if ! diff -u "$dir/libunwind.stacks" "$dir/hybrid.stacks"; then
    echo "FAIL: the hybrid unwinder's stacks differ from libunwind's"
    exit 1
fi
echo "ok: $n distinct stacks, identical with both unwinders"
