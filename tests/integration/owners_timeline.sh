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
# The program opens 50 and closes 30: no sample may show more than 50 open.
# (Which sample first shows a handle depends on timing: not asserted.)
max=$(sed -n '/"timeline"/,$p' "$dir/r.json" | grep -o '"iconv_open":{"live_handles":[0-9]*' |
      grep -o '[0-9]*$' | sort -n | tail -1)
if [ "${max:-0}" -lt 20 ] || [ "${max:-0}" -gt 50 ]; then
    echo "FAIL: the most live iconv_open handles in a sample is '$max', not within 20..50"
    exit 1
fi
