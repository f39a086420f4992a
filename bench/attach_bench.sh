#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/attach_bench.sh - attaching to a running redis-server under
# redis-benchmark: what the server pays while it is recorded, natively, under
# `heaptrace attach` (full, and --sample 512KiB) and under `heaptrack -p`
# (heaptrack's own gdb-based attach), in one run, and traced from its start
# (`preloaded`: LD_PRELOAD, what attach should cost no more than). Each mode gets a fresh
# server, started natively with 100,000 keys, then attached to, then loaded
# with `redis-benchmark -t set,get -n N -r 1000000 -d 100 -c 20`: new keys,
# so its heap grows. Per mode: requests per second (the mean of SET and GET),
# the server's CPU per request (utime + stime of the redis-server process over
# the benchmark: heaptrace's writer thread runs inside it and counts;
# heaptrack's interpreter and heaptrace's log process do not), how long the
# attach held the server's thread (heaptrace prints it) and the log's size.
#
# usage: bench/attach_bench.sh [--quick] [--runs R]
# environment: HT_BUILD  the heaptrace build directory (default: build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out/attach
build=${HT_BUILD:-build}
runs=1
quick=0
usage() {
    sed -n 's/^# usage: //p' "${BASH_SOURCE[0]}"
    echo "  --quick    20,000 requests instead of 200,000 (a smoke test)"
    echo "  --runs R   rounds of the four modes, interleaved; medians reported (default 1)"
}
bench_on_flag() { quick=1; }
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_options attach_bench.sh --quick "$@"
cd "$root"
for tool in redis-server redis-cli redis-benchmark; do
    command -v "$tool" >/dev/null || { log "$tool is not installed; skipped"; exit 0; }
done
bench_build attach_bench.sh "$build" heaptrace heaptrace-attach libheaptrace.so
n=200000
[ "$quick" = 0 ] || n=20000
rm -rf "$out" && mkdir -p "$out"
port=$("$root/tests/integration/free_port.sh")
modes=(native preloaded heaptrace sampled heaptrack)
command -v heaptrack >/dev/null || modes=(native preloaded heaptrace sampled)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# one_mode MODE RUN: a fresh server, attached to in MODE, loaded; one line
# "mode rps cpu_us_per_request held_ms log_bytes" appended to $out/results
one_mode() {
    local mode=$1 dir=$out/$1.$2 pid rec=
    mkdir -p "$dir" && : >"$dir/attach.txt"
    local pre=()
    [ "$mode" != preloaded ] || pre=(env LD_PRELOAD="$build/libheaptrace.so"
        HEAPTRACE_OUT="$dir/run.htrace")
    "${pre[@]}" redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$dir/redis.pid" \
        --dir "$dir" --save "" --appendonly no --enable-debug-command yes --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    pid=$(cat "$dir/redis.pid")
    redis-cli -p "$port" debug populate 100000 key 100 >/dev/null
    case $mode in
        heaptrace | sampled)
            local extra=()
            [ "$mode" = heaptrace ] || extra=(--sample 512KiB)
            "$build/heaptrace" attach "${extra[@]}" -o "$dir/run.htrace" "$pid" 2>"$dir/attach.txt" &
            rec=$!
            for _ in $(seq 300); do grep -q recording "$dir/attach.txt" && break; sleep 0.1; done
            ;;
        heaptrack)
            # it cannot detach: it ends with the server (timeout: when its injection failed,
            # it waits for a library that never writes)
            timeout 600 heaptrack -o "$dir/run" -p "$pid" >"$dir/attach.txt" 2>&1 &
            rec=$!
            for _ in $(seq 600); do grep -q "injecting\|will be written\|attaching" "$dir/attach.txt" &&
                break; sleep 0.1; done
            sleep 3 # its gdb session runs until the library is in
            ;;
    esac
    local t0 t1
    t0=$(cpu_ticks "$pid")
    redis-benchmark -p "$port" -t set,get -n "$n" -r 1000000 -d 100 -c 20 -q 2>/dev/null |
        tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests per second' >"$dir/bench.txt"
    t1=$(cpu_ticks "$pid")
    if [ -n "$rec" ] && [ "$mode" != heaptrack ]; then
        kill -INT "$rec"
        wait "$rec" || true
    fi
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    if [ -n "$rec" ]; then
        for _ in $(seq 200); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
        kill "$rec" 2>/dev/null || true
        wait "$rec" 2>/dev/null || true
    fi
    local rps held bytes=0 f
    rps=$(awk '{s += $2} END {printf "%.0f", s / NR}' "$dir/bench.txt")
    if [ "$mode" = heaptrack ] && grep -q 'No symbol "heaptrack_inject"' "$dir/attach.txt"; then
        mode=heaptrack-failed # gdb could not call into the library: nothing was recorded
    fi
    held=$(sed -n 's/.*held \([0-9]*\) ms.*/\1/p' "$dir/attach.txt")
    for f in "$dir"/run*; do [ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f"))); done
    echo "$mode $rps $(((t1 - t0) * 10000000 / $(getconf CLK_TCK) / (2 * n))) ${held:--} $bytes" \
        >>"$out/results"
}

for r in $(seq "$runs"); do
    for m in "${modes[@]}"; do
        log "run $r: $m"
        one_mode "$m" "$r"
    done
done

# medians per mode; CPU per request in tenths of a microsecond above
awk -v n="$n" '
    { rps[$1] = rps[$1] " " $2; cpu[$1] = cpu[$1] " " $3; held[$1] = $4; bytes[$1] = bytes[$1] " " $5 }
    function median(list,    a, k, i, j, t) {
        k = split(list, a, " ")
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return a[int((k + 1) / 2)]
    }
    END {
        base = median(rps["native"]); bcpu = median(cpu["native"])
        printf "redis-server, redis-benchmark -t set,get -n %d -r 1000000 -d 100 -c 20\n\n", n
        print "| mode | requests/s | vs native | server CPU per request | vs native | thread held | log |"
        print "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        split("native preloaded heaptrace sampled heaptrack heaptrack-failed", order, " ")
        for (i = 1; i <= 6; i++) {
            m = order[i]
            if (!(m in rps)) continue
            r = median(rps[m]); c = median(cpu[m])
            printf "| %s | %d | %.2f | %.1f us | %.2f | %s | %.1f MB |\n", m, r, r / base, c / 10, c / bcpu,
                held[m] == "-" ? "-" : held[m] " ms", median(bytes[m]) / 1e6
        }
    }' "$out/results"
