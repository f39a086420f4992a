#!/bin/bash
# SPDX-License-Identifier: MIT
#
# redis_case.sh - starts redis-server (Debian's links jemalloc) on 127.0.0.1
# at a random free port, drives 2000 SET and 2000 GET through one redis-cli,
# then stops it with SHUTDOWN NOSAVE. Prints only what does not depend on
# the run (the port, pids and timings stay out of stdout).
set -u
here=$(cd "$(dirname "$0")" && pwd)
port=$("$here/free_port.sh") || exit 1
work=$(pwd)

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$work" --logfile "$work/redis.log" &
server=$!

up=0
for _ in $(seq 1 100); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
        up=1
        break
    fi
    sleep 0.1
done
if [ "$up" = 0 ]; then
    echo "redis_case: redis-server did not answer on port $port" >&2
    kill -KILL "$server" 2>/dev/null
    exit 1
fi

{
    for i in $(seq 1 2000); do echo "SET key:$i value-$i-$((i * i))"; done
    for i in $(seq 1 2000); do echo "GET key:$i"; done
    echo "DBSIZE"
} | redis-cli -p "$port" >replies.txt
echo "SET replies: $(grep -c '^OK$' replies.txt)"
echo "GET replies: $(grep -c '^value-' replies.txt)"
echo "DBSIZE: $(tail -1 replies.txt)"

redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
if ! wait "$server"; then
    echo "redis_case: redis-server did not exit cleanly" >&2
    exit 1
fi
echo "redis-server stopped"
