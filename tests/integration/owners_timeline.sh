#!/bin/sh
# owners_timeline.sh SHIM REPORT PROGRAM: the JSON timeline carries, per owner
# kind, the live handles and the bytes behind them; iconv_loop ends with 20
# iconv_t handles open, as its owners section says.
set -eu
shim=$1 report=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HEAPTRACE_OUT="$dir/run.htrace" LD_PRELOAD="$shim" "$prog" >/dev/null
"$report" --json "$dir/run.htrace" >"$dir/r.json"
last=$(sed -n '/"timeline"/,$p' "$dir/r.json" | grep '"t_s"' | tail -1)
echo "last sample: $last"
echo "$last" | grep -q '"owners":{"iconv_open":{"live_handles":20,' || {
    echo "FAIL: the last timeline sample does not show 20 live iconv_open handles"
    exit 1
}
first=$(sed -n '/"timeline"/,$p' "$dir/r.json" | grep '"t_s"' | head -1)
echo "$first" | grep -q '"owners":{}' || {
    echo "FAIL: the first sample should have no handle open yet: $first"
    exit 1
}
