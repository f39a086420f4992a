#!/bin/sh
# sampled_leak.sh WRAPPER REPORT PROGRAM: traced with --sample 64KiB, the
# report of sampled_leak.c says it is sampled, finds its two leaking sites
# with estimates near the truth (32 MiB at leak_here, 16 MiB at grow_here:
# within 25%, about five standard deviations of the sampling error at 64 KiB,
# so the test does not fail by chance), and leaves nothing at churn's site:
# every sampled block churn freed, with free or realloc(p, 0), was seen freed.
# A sampled log has no snapshot (one needs every block), and the text says so.
set -eu
wrapper=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$wrapper" --sample 64KiB -q -o "$dir/run.htrace" -- "$prog" >/dev/null
"$report" "$dir/run.htrace" >"$dir/r.txt"
"$report" --json "$dir/run.htrace" >"$dir/r.json"
fail=0
grep -q '^  sampled every 64.0 KiB: sizes and counts are estimates' "$dir/r.txt" || {
    echo "FAIL: the text report does not say it is sampled"; sed -n 1,5p "$dir/r.txt"; fail=1; }
grep -q '^"sampling":{"every_bytes":65536,"estimates":true}' "$dir/r.json" || {
    echo "FAIL: no \"sampling\" field in the JSON report"; fail=1; }
snaps=$("$report" --dump "$dir/run.htrace" | grep -c ' SNAPSHOT_BEGIN' || true)
[ "$snaps" = 0 ] || { echo "FAIL: $snaps snapshot(s) in a sampled log"; fail=1; }
grep -q 'sampled log has no heap snapshot' "$dir/r.txt" || {
    echo "FAIL: the text report does not say why there is no snapshot"; fail=1; }
# a site's line: its leaked_bytes when its innermost frame is function $1
site_leaked() {
    grep "^ {\"allocations\".*\"stack\":\[{\"function\":\"$1\"" "$dir/r.json" |
        sed 's/.*"leaked_bytes":\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }'
}
check() { # name truth
    got=$(site_leaked "$1")
    echo "$1: leaked estimate $got bytes, truth $2"
    if [ "$got" -lt $(($2 * 3 / 4)) ] || [ "$got" -gt $(($2 * 5 / 4)) ]; then
        echo "FAIL: $1's estimate is not within 25% of $2"; fail=1
    fi
}
check leak_here $((8192 * 4096))
check grow_here $((64 * 256 * 1024))
left=$(site_leaked churn)
echo "churn: leaked estimate $left bytes, truth 0"
[ "$left" = 0 ] || { echo "FAIL: sampled blocks churn freed are still live"; fail=1; }
exit $fail
