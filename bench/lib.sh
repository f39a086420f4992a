# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# bench/lib.sh - what bench/compare.sh and bench/report_bench.sh share.
# Sourced (not run), after `set -euo pipefail`; the functions that build run
# from the checkout's root.

log() { echo "bench: $*" >&2; }

# bench_options SCRIPT FLAG ARG...: parses the command line: FLAG calls
# bench_on_flag (the script defines it), --runs R sets runs, -h / --help calls
# usage; anything else is an error (exit 2), and so is a runs that is not a
# positive number.
bench_options() {
    local script=$1 flag=$2
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
            "$flag") bench_on_flag ;;
            --runs) runs=${2:?--runs needs a number}; shift ;;
            --runs=*) runs=${1#--runs=} ;;
            -h | --help) usage; exit 0 ;;
            *) echo "$script: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
    case $runs in '' | *[!0-9]* | 0) echo "$script: error: --runs wants a positive number" >&2; exit 2 ;; esac
}

# bench_need_workloads DIR: exits 0 with "skipped" when the shared workloads are absent
bench_need_workloads() {
    if [ ! -d "$1" ]; then
        echo "bench: no workloads at $1 (shared/ is not beside this checkout); skipped"
        exit 0
    fi
}

# bench_build SCRIPT BUILD FILE...: installs the packages, builds heaptrace in
# BUILD (configured RelWithDebInfo when new), checks that each FILE exists
# there and sets `build` to BUILD's absolute path (not in a $(...): errexit
# must stay in force).
bench_build() {
    local script=$1 dir=$2 f
    shift 2
    # shellcheck source=scripts/lib/deps.sh
    . scripts/lib/deps.sh
    ht_need_packages "${HT_PKGS_BUILD[@]}" "${HT_PKGS_BENCH[@]}"
    [ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$dir" -j "$(nproc)" >/dev/null
    for f in "$@"; do
        if [ ! -e "$dir/$f" ]; then
            echo "$script: error: $dir/$f is missing" >&2
            exit 1
        fi
    done
    # shellcheck disable=SC2034 # the caller's variable
    build=$(cd "$dir" && pwd)
}

# bench_workloads SRC OUT PROG...: a fresh OUT with OUT/{src,logs,runs}, the
# workload sources copied to OUT/src (SRC is never written), each PROG built
# there and copied to OUT, and bench/runtime built as OUT/runtime
bench_workloads() {
    local src=$1 out=$2 p
    shift 2
    rm -rf "$out" && mkdir -p "$out/src" "$out/logs" "$out/runs"
    cp "$src"/* "$out/src/"
    make -s -C "$out/src" "$@" >&2
    for p in "$@"; do cp "$out/src/$p" "$out/"; done
    cc -O2 -Wall -Wextra -o "$out/runtime" bench/runtime.c
}

# bench_log_bytes OUT TAG: the bytes of every OUT/logs/TAG.* (a run's logs,
# child logs included) into OUT/runs/TAG.bytes
bench_log_bytes() {
    local f bytes=0
    for f in "$1/logs/$2".*; do
        [ ! -f "$f" ] || bytes=$((bytes + $(stat -c %s "$f")))
    done
    echo "$bytes" >"$1/runs/$2.bytes"
}

# field FILE KEY: the value of KEY=VALUE in FILE (last one)
field() { sed -n "s/.*\\b$2=\\([0-9.]*\\).*/\\1/p" "$1" | tail -n 1; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
