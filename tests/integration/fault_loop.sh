#!/bin/sh
# fault_loop.sh SHIM PROGRAM RUNS
# A log that cannot be written (/dev/full) stops the tracing, never the
# program: run it RUNS times under the shim, each must end with the
# program's own stdout and status. The sink's failure races with the start
# of tracing, so one run proves little; a run that hangs is killed after
# a generous minute and counted.
set -u
shim=$1 prog=$2 runs=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$prog" >"$dir/native.out" 2>/dev/null
native=$?
fails=0 i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    # env, not timeout, runs with the shim: only the program is traced
    HEAPTRACE_OUT=/dev/full timeout 60 env LD_PRELOAD="$shim" "$prog" >"$dir/traced.out" 2>"$dir/traced.err"
    traced=$?
    if [ "$traced" = 124 ]; then
        echo "FAIL run $i: the program hung (killed after 60 s)"
        fails=$((fails + 1))
    elif [ "$traced" != "$native" ] || ! cmp -s "$dir/native.out" "$dir/traced.out"; then
        echo "FAIL run $i: status $traced (native $native) or stdout differs"
        fails=$((fails + 1))
    elif [ "$(grep -c heaptrace "$dir/traced.err")" -gt 1 ]; then
        echo "FAIL run $i: more than one line of heaptrace's on stderr"
        fails=$((fails + 1))
    fi
done
echo "$((runs - fails))/$runs runs ended as natively"
[ "$fails" -eq 0 ]
