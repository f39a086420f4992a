#!/bin/sh
# debugfile_check.sh SHIM REPORT PROGRAM SOURCE_BASENAME
# Symbols from elsewhere than the binary itself, the way users analyse logs:
#  1. debug info split off into DIR/.build-id/xx/rest.debug: found with --debug-dir;
#  2. debug info in prog.debug next to the binary, named by .gnu_debuglink;
#  3. the binary moved away after tracing: found under --sysroot.
# In each case the program's own frames must show SOURCE_BASENAME:LINE, and
# must not without the option (so the option is what made the difference).
set -eu
shim=$1 report=$2 prog=$3 src=$4
for tool in objcopy readelf strip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not installed (binutils)"; exit 77; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
has_lines() { "$report" --no-addresses "$@" | grep -q "($src:[0-9]"; }

# 1. build-id layout in a debug directory
mkdir -p "$dir/a"
cp "$prog" "$dir/a/prog"
id=$(readelf -n "$dir/a/prog" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
[ -n "$id" ] || fail "no build-id in $prog"
sub=$(printf %s "$id" | cut -c1-2) rest=$(printf %s "$id" | cut -c3-)
mkdir -p "$dir/dbg/.build-id/$sub"
objcopy --only-keep-debug "$dir/a/prog" "$dir/dbg/.build-id/$sub/$rest.debug"
strip -g "$dir/a/prog"
HEAPTRACE_OUT="$dir/a.htrace" LD_PRELOAD="$shim" "$dir/a/prog" >/dev/null
has_lines "$dir/a.htrace" && fail "file:line without the debug file (was it stripped?)"
has_lines --debug-dir "$dir/dbg" "$dir/a.htrace" || fail "--debug-dir: no $src:LINE"

# 2. .gnu_debuglink next to the binary
mkdir -p "$dir/b"
cp "$prog" "$dir/b/prog"
objcopy --only-keep-debug "$dir/b/prog" "$dir/b/prog.debug"
strip -g "$dir/b/prog"
objcopy --add-gnu-debuglink="$dir/b/prog.debug" "$dir/b/prog"
HEAPTRACE_OUT="$dir/b.htrace" LD_PRELOAD="$shim" "$dir/b/prog" >/dev/null
has_lines "$dir/b.htrace" || fail ".gnu_debuglink: no $src:LINE"

# 3. the binary is gone from its path; a copy lives under a sysroot
mkdir -p "$dir/c"
cp "$prog" "$dir/c/prog"
HEAPTRACE_OUT="$dir/c.htrace" LD_PRELOAD="$shim" "$dir/c/prog" >/dev/null
mkdir -p "$dir/root$dir/c"
mv "$dir/c/prog" "$dir/root$dir/c/prog"
has_lines "$dir/c.htrace" 2>/dev/null && fail "file:line although the binary is gone"
has_lines --sysroot "$dir/root" "$dir/c.htrace" || fail "--sysroot: no $src:LINE"
echo "ok: --debug-dir (build-id), .gnu_debuglink and --sysroot each give $src:LINE"
