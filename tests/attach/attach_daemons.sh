#!/bin/bash
# SPDX-License-Identifier: MIT
#
# attach_daemons.sh HEAPTRACE HEAPTRACE_REPORT NAME
#
# heaptrace attach on a real server under load, started natively: redis
# (redis-benchmark writing new keys: its heap grows) or an nginx worker
# (curl clients). The server must keep serving through the attach and after
# the detach, and the report must show the requests' allocations and the
# heap that existed before the attach. Skips (77) when the server or its
# load tool is not installed (scripts/lib/deps.sh lists them).
set -u
ht=$1 report=$2 name=$3
here=$(cd "$(dirname "$0")" && pwd)
need() {
    command -v "$1" >/dev/null || {
        echo "SKIP: $1 is not installed (scripts/lib/deps.sh lists it)"
        exit 77
    }
}
work=$(mktemp -d)
load=
server=
cleanup() {
    [ -n "$load" ] && kill "$load" 2>/dev/null
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $name: $*"
    exit 1
}
up() { # up CMD...: retries CMD (up to 20 s) until it succeeds
    for _ in $(seq 1 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
chmod 0755 "$work"
mkdir -p "$work/logs" && chmod 0777 "$work/logs" # an nginx worker writes as www-data
port=$("$here/../integration/free_port.sh") || exit 1

case $name in
redis)
    need redis-server
    need redis-cli
    need redis-benchmark
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$work/redis.pid" \
        --dir "$work" --save '' --appendonly no --logfile "$work/redis.log" || fail "did not start"
    up redis-cli -p "$port" ping || fail "does not answer"
    server=$(cat "$work/redis.pid")
    # new keys all along: the heap grows while we record
    redis-benchmark -p "$port" -t set -n 100000000 -r 100000000 -d 100 -c 8 -q >/dev/null 2>&1 &
    load=$!
    written() { [ "$(redis-cli -p "$port" dbsize)" -gt 1000 ]; }
    up written || fail "the benchmark does not write"
    target=$server
    serves() { [ "$(redis-cli -p "$port" ping)" = PONG ]; }
    count() { redis-cli -p "$port" dbsize; }
    ;;
nginx)
    need nginx
    need curl
    mkdir -p "$work/html" "$work/tmp"
    seq 1 3000 >"$work/html/index.html"
    chmod -R a+rX "$work/html"
    cat >"$work/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    server { listen 127.0.0.1:$port; root $work/html; }
}
CONF
    nginx -p "$work" -c "$work/nginx.conf" || fail "did not start"
    up curl -sf "http://127.0.0.1:$port/index.html" || fail "does not answer"
    server=$(cat "$work/nginx.pid")
    target=$(pgrep -P "$server" | head -1) # the worker serves the requests
    [ -n "$target" ] || fail "no worker"
    (while :; do curl -s -o /dev/null "http://127.0.0.1:$port/index.html?$RANDOM"; done) &
    load=$!
    size=$(stat -c %s "$work/html/index.html")
    serves() { [ "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
        "http://127.0.0.1:$port/index.html")" = "200 $size" ]; }
    count() { date +%s%N; }
    ;;
*) fail "unknown server" ;;
esac

"$ht" attach -o "$work/logs/run.htrace" --for 3s "$target" 2>"$work/attach.txt"
rc=$?
cat "$work/attach.txt"
[ "$rc" = 0 ] || fail "heaptrace attach exited $rc"
kill -0 "$target" || fail "the server died"
serves || fail "does not serve after the detach"
a=$(count)
sleep 1
[ "$(count)" -gt "$a" ] || fail "the load stopped being served after the detach"
log=$(sed -n 's/.*; wrote \(.*\); read it with.*/\1/p' "$work/attach.txt")
[ -s "$log" ] || fail "no log"
"$report" "$log" >"$work/report.txt" 2>&1 || fail "heaptrace-report failed: $(head -5 "$work/report.txt")"
head -40 "$work/report.txt"
grep -q 'before attach .*MiB in use when heaptrace attached\|before attach .*KiB in use' \
    "$work/report.txt" || fail "the report does not give the heap from before the attach"
allocs=$(sed -n 's/^  allocations *\([0-9]*\).*/\1/p' "$work/report.txt")
{ [ -n "$allocs" ] && [ "$allocs" -gt 100 ]; } || fail "only '$allocs' allocations recorded under load"
"$report" --json "$log" | grep -q '"end_reason":"detach"' || fail "the log does not end with detach"
if [ "$name" = redis ]; then
    grep -q '^growth: [1-9]' "$work/report.txt" || fail "no growth found while redis took new keys"
fi
kill "$load" 2>/dev/null
wait "$load" 2>/dev/null
load=
serves || fail "does not serve at the end"
echo PASS
