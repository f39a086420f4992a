#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/html/html_case.sh - one browser test of the HTML report: traces a
# program with `heaptrace --html`, then opens the page in headless Chromium
# (browser.js) and checks what a person would: no console error or failed
# request, the top suspect's headline and source line on the page, its
# evidence one click away, a flame graph that answers a search. Leaves the
# page, a 1280x800 screenshot and a full-page one in OUTDIR.
#
#   html_case.sh NAME HEAPTRACE OUTDIR [--env K=V]... [browser.js options] -- PROGRAM [ARGS...]
#
# Skips (exit 77) with a message when chromium or node is not installed
# (scripts/check installs both), or when PROGRAM does not exist (guile).
# HT_CHROMIUM names another browser binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 4 ] || { echo "usage: $0 NAME HEAPTRACE OUTDIR [options] -- PROGRAM [ARGS...]" >&2; exit 2; }
name=$1 heaptrace=$2 outdir=$3
shift 3
envs=() opts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in
        --env) envs+=("$2"); shift 2 ;;
        *) opts+=("$1"); shift ;;
    esac
done
[ "${1:-}" = -- ] || { echo "$0: error: no program given" >&2; exit 2; }
shift

chromium=${HT_CHROMIUM:-}
if [ -z "$chromium" ]; then
    chromium=$(command -v chromium || command -v chromium-browser || true)
fi
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
    echo "SKIP: no chromium to open the report in (scripts/check installs it: apt-get install chromium)"
    exit 77
fi
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: no node to drive chromium (scripts/check installs it: apt-get install nodejs)"
    exit 77
fi
if ! command -v "$1" >/dev/null 2>&1; then
    echo "SKIP: '$1' is not installed"
    exit 77
fi

mkdir -p "$outdir"
work=$outdir/$name
rm -rf "$work"
mkdir -p "$work"
html=$outdir/$name.html
rm -f "$html"
echo "== $name: heaptrace --html $html -- $*"
env "${envs[@]}" "$heaptrace" -q --html "$html" -o "$work/$name.htrace" -- "$@" >"$work/stdout"
[ -s "$html" ] || { echo "FAIL: no page was written"; exit 1; }
echo "== $name: $(stat -c %s "$html") bytes; opening it in $chromium"
node "$here/browser.js" --chromium "$chromium" --page "$html" --screenshot "$outdir/$name.png" \
    --full "$outdir/$name-full.png" "${opts[@]}"
