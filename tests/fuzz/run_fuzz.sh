#!/bin/sh
# run_fuzz.sh [SECONDS] - builds fuzz_reader with clang-14 and
# -fsanitize=fuzzer,address,undefined and fuzzes the reader for SECONDS
# (default 60), starting from tests/fuzz/corpus and tests/fuzz/found. New
# crashes land in build-fuzz/crashes/; copy a fixed one into corpus/ to keep
# it fixed. After a long run, `build-fuzz/fuzz_reader -merge=1 NEW_DIR
# build-fuzz/corpus` keeps what adds coverage (tests/fuzz/found came so).
set -eu
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build-fuzz
cc=${CC:-clang-14}
command -v "$cc" >/dev/null 2>&1 || { echo "run_fuzz.sh: error: '$cc' not found" >&2; exit 2; }
mkdir -p "$out/crashes" "$out/corpus"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
flags="$flags -I$root/common -I$root/analyzer $(pkg-config --cflags libzstd libdw)"
# Every analyzer source but its main(): replay pulls in the leak classes,
# growth and the graph, and a hand-kept list goes stale.
srcs="$here/fuzz_reader.c"
for f in "$root"/analyzer/*.c; do
    [ "$(basename "$f")" = main.c ] || srcs="$srcs $f"
done
# the HTML report's style sheet and script, embedded as the build does
cmake -DOUT="$out/html_assets.c" -DCSS="$root/analyzer/html/report.css" \
    -DJS="$root/analyzer/html/report.js" -P "$root/analyzer/html/embed.cmake"
srcs="$srcs $out/html_assets.c"
# shellcheck disable=SC2086,SC2046
"$cc" $flags $srcs $(pkg-config --libs libzstd libdw libelf zlib) -lstdc++ -lm -o "$out/fuzz_reader"
cp "$here"/corpus/* "$here"/found/* "$out/corpus/" 2>/dev/null || true
"$out/fuzz_reader" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crashes/" "$out/corpus"
