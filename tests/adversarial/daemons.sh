#!/bin/bash
# daemons.sh SHIM REPORT NAME: a real Debian daemon that daemonizes itself,
# traced from its start, on 127.0.0.1 at a free port, then stopped as its
# users stop it. NAME is one of:
#   nginx    default `daemon on`: the starting process forks the master,
#            which forks 2 workers (they drop privileges); `nginx -s quit`
#   redis    `redis-server --daemonize yes`; `redis-cli shutdown`
#   dnsmasq  forks twice, setsid, closes every descriptor, drops to nobody;
#            SIGTERM
# The daemon must serve as it does natively, and every process must leave a
# whole log (heaptrace-report reads it, it ends with END) with its exit
# snapshot, however many descriptors it closed on its way.
set -u
shim=$1 report=$2 name=$3
here=$(cd "$(dirname "$0")" && pwd)
need() {
    command -v "$1" >/dev/null || {
        echo "SKIP: $1 is not installed (scripts/lib/deps.sh lists it)"
        exit 77
    }
}
fail() {
    echo "FAIL: $name: $*"
    [ -n "${pidfile:-}" ] && [ -s "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
    exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir -p "$work/logs"
chmod 0777 "$work/logs"
port=$("$here/../integration/free_port.sh") || exit 1
traced() {
    LD_PRELOAD="$shim" HEAPTRACE_OUT="$work/logs/%e.%p.htrace" "$@"
}
# gone PID: waits (up to 60 s) until the process has ended
gone() {
    for _ in $(seq 1 600); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}
# up CMD...: retries CMD (up to 20 s) until it succeeds
up() {
    for _ in $(seq 1 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

case $name in
nginx)
    need nginx
    need curl
    mkdir -p "$work/html" "$work/tmp"
    seq 1 3000 >"$work/html/index.html"
    chmod -R a+rX "$work/html"
    pidfile=$work/nginx.pid
    cat >"$work/nginx.conf" <<CONF
user www-data;
worker_processes 2;
pid $pidfile;
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
    traced nginx -p "$work" -c "$work/nginx.conf" || fail "did not start"
    up curl -sf "http://127.0.0.1:$port/index.html" || fail "does not answer: $(cat "$work/error.log")"
    got=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{http_code} %{size_download}\n' \
        "http://127.0.0.1:$port/index.html"; done | sort | uniq -c | tr -s ' ')
    [ "$got" = " 5 200 $(stat -c %s "$work/html/index.html")" ] || fail "served '$got'"
    master=$(cat "$pidfile")
    nginx -p "$work" -c "$work/nginx.conf" -s quit
    gone "$master" || fail "did not stop"
    expect=4 # the starting process, the master, 2 workers
    ;;
redis)
    need redis-server
    need redis-cli
    pidfile=$work/redis.pid
    traced redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$pidfile" \
        --dir "$work" --save '' --appendonly no --logfile "$work/redis.log" || fail "did not start"
    up redis-cli -p "$port" ping || fail "does not answer: $(cat "$work/redis.log")"
    redis-cli -p "$port" set key value >/dev/null
    [ "$(redis-cli -p "$port" get key)" = value ] || fail "lost a key"
    daemon=$(cat "$pidfile")
    redis-cli -p "$port" shutdown >/dev/null 2>&1
    gone "$daemon" || fail "did not stop"
    expect=2 # the starting process, the daemon
    ;;
dnsmasq)
    need dnsmasq
    pidfile=$work/dnsmasq.pid
    traced dnsmasq --conf-file=/dev/null --port="$port" --listen-address=127.0.0.1 \
        --bind-interfaces --no-resolv --no-hosts --pid-file="$pidfile" || fail "did not start"
    up test -s "$pidfile" || fail "wrote no pid file"
    daemon=$(cat "$pidfile")
    # listening (/proc/net/tcp, state 0A): a connection would fork a TCP child
    hexport=$(printf ':%04X 00000000:0000 0A' "$port")
    up grep -q "$hexport" /proc/net/tcp || fail "does not listen"
    kill -TERM "$daemon"
    gone "$daemon" || fail "did not stop"
    expect=3 # the starting process, the first child, the daemon
    ;;
*)
    echo "daemons.sh: unknown daemon $name" >&2
    exit 2
    ;;
esac

# Every log whole: the last process's sink writes it as the process ends.
for _ in $(seq 1 300); do
    complete=0 n=0
    for log in "$work"/logs/*.htrace; do
        [ -e "$log" ] || continue
        n=$((n + 1))
        "$report" --dump "$log" 2>/dev/null | grep -q ' END reason=' && complete=$((complete + 1))
    done
    [ "$n" -ge "$expect" ] && [ "$complete" = "$n" ] && break
    sleep 0.1
done
[ "$n" -ge "$expect" ] || fail "$n logs, expected $expect: $(ls "$work/logs")"
for log in "$work"/logs/*.htrace; do
    "$report" "$log" >"$log.txt" 2>&1 || fail "heaptrace-report cannot read $(basename "$log"): $(tail -3 "$log.txt")"
    "$report" --dump "$log" >"$log.dump" 2>&1 || fail "$(basename "$log") does not dump"
    grep -q ' END reason=' "$log.dump" || fail "$(basename "$log") is incomplete (no END)"
    if ! grep -q ' SNAPSHOT_BEGIN .*reason=exit' "$log.dump" || ! grep -q ' SNAPSHOT_END ' "$log.dump"; then
        fail "$(basename "$log") has no exit snapshot"
    fi
    grep -q ' ALLOC ' "$log.dump" || fail "$(basename "$log") recorded no allocation"
done
echo "ok: $name daemonized, served, stopped; $n logs, each whole with its exit snapshot"
