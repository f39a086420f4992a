#!/bin/bash
# SPDX-License-Identifier: MIT
#
# nginx_case.sh - nginx master and 2 workers (the workers drop privileges to
# www-data) on 127.0.0.1 at a random free port, config, pid file and logs in
# the current directory; 200 requests from one curl, then QUIT by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
port=$("$here/free_port.sh") || exit 1
work=$(pwd)
chmod 0755 "$work"
mkdir -p html logs tmp
chmod 0755 html
seq 1 5000 >html/index.html
printf 'small\n' >html/small.txt
chmod 0644 html/*

cat >nginx.conf <<CONF
user www-data;
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log $work/logs/access.log;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $work/html;
    }
}
CONF

nginx -p "$work" -c "$work/nginx.conf" &
master=$!

up=0
for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/small.txt"; then
        up=1
        break
    fi
    sleep 0.1
done
if [ "$up" = 0 ]; then
    echo "nginx_case: nginx did not answer on port $port" >&2
    cat logs/error.log >&2
    kill -KILL "$master" 2>/dev/null
    exit 1
fi

urls=()
for i in $(seq 1 200); do
    if [ $((i % 2)) = 0 ]; then
        urls+=(-o /dev/null "http://127.0.0.1:$port/index.html")
    else
        urls+=(-o /dev/null "http://127.0.0.1:$port/missing-$i")
    fi
done
curl -s -w '%{http_code} %{size_download}\n' "${urls[@]}" | sort | uniq -c

kill -QUIT "$(cat nginx.pid)"
if ! wait "$master"; then
    echo "nginx_case: nginx master did not exit cleanly" >&2
    exit 1
fi
echo "nginx stopped"
