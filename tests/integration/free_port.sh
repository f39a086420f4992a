#!/bin/bash
# SPDX-License-Identifier: MIT
#
# free_port.sh - prints a TCP port on 127.0.0.1 that nothing listens on,
# chosen at random in [20000, 60000) (bash's /dev/tcp, no other tool).
# Sourced or run by the server cases.
for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$port"
        exit 0
    fi
done
echo "free_port: no free port found" >&2
exit 1
