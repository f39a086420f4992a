#!/bin/sh
# host_unchanged.sh SHIM PROGRAM: the shim must not change how the program's
# own collector (libgc) behaves. libgc scans the writable segments of every
# loaded library as roots, ours too: a large .bss makes it collect less
# often (it sizes its allocation budget by the roots it scans), and an
# address in it keeps an object alive. PROGRAM prints
# "... cleared=N collections=N" (tests/gc/weak_table.c); traced, it must
# clear the same slots (give or take a few a stray stack word may keep) and
# collect at least three quarters as often as it does on its own.
set -eu
shim=$1 prog=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
field() { sed -n "s/.*$1=\\([0-9]*\\).*/\\1/p" "$2"; }
"$prog" >"$dir/native"
HEAPTRACE_OUT="$dir/log.htrace" LD_PRELOAD="$shim" "$prog" >"$dir/traced"
nc=$(field cleared "$dir/native") tc=$(field cleared "$dir/traced")
ng=$(field collections "$dir/native") tg=$(field collections "$dir/traced")
echo "cleared: $nc natively, $tc traced; collections: $ng natively, $tg traced"
diff=$((nc > tc ? nc - tc : tc - nc))
[ "$diff" -le 5 ] || { echo "FAIL: tracing changed which objects the program's collector frees"; exit 1; }
[ $((tg * 4)) -ge $((ng * 3)) ] || { echo "FAIL: traced, the program collects much less often"; exit 1; }
