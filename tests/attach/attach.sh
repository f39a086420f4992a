#!/bin/bash
# SPDX-License-Identifier: MIT
#
# attach.sh HEAPTRACE HEAPTRACE_REPORT ATTACH_SERVER PLUGIN WORKDIR
#
# heaptrace attach, as a user runs it: a server started natively (with 2 MiB
# of heap before the attach) is attached to for a while and let go. It must
# keep running, print exactly what it prints without the attach, and the log
# must name the leaking function and the heap that existed before. Then the
# refusals: a process that does not exist, and one we may not trace. While
# it is recorded, the server dlopens a library (PLUGIN) whose allocations
# must be seen too.
set -u
ht=$1 report=$2 server=$3 plugin=$4 dir=$5
rm -rf "$dir" && mkdir -p "$dir" || exit 1
cd "$dir" || exit 1
fail() { echo "FAIL: $*"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; exit 1; }

# stdin is a fifo we hold open: the server serves until we close it
mkfifo ctl
"$server" 0 2048 "$plugin" <ctl >out.txt 2>err.txt &
pid=$!
exec 3>ctl
for _ in $(seq 600); do grep -q '^ready' out.txt && break; sleep 0.1; done
grep -q '^ready' out.txt || fail "the server did not start"

"$ht" attach -o run.htrace --for 3s "$pid" 2>attach.txt &
attacher=$!
for _ in $(seq 600); do grep -q recording attach.txt && break; sleep 0.1; done
printf l >&3 # now the server loads the plugin
wait "$attacher"
rc=$?
cat attach.txt
[ "$rc" = 0 ] || fail "heaptrace attach exited $rc"
grep -q "recording process $pid" attach.txt || fail "no 'recording' line"
grep -q "detached from process $pid" attach.txt || fail "no 'detached' line"
kill -0 "$pid" 2>/dev/null || fail "the server died during the attach"

# still serving after the detach: more heartbeats come
before=$(grep -c heartbeat out.txt)
for _ in $(seq 300); do
    [ "$(grep -c heartbeat out.txt)" -gt "$((before + 1))" ] && break
    sleep 0.1
done
[ "$(grep -c heartbeat out.txt)" -gt "$((before + 1))" ] || fail "no heartbeat after the detach"
grep -q libheaptrace "/proc/$pid/maps" || fail "the library is not in the process"

exec 3>&-
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] || fail "the server exited $rc after the attach"
[ -s err.txt ] && fail "the server wrote to stderr: $(head -3 err.txt)"
n=$(sed -n 's/^done //p' out.txt)
[ -n "$n" ] || fail "no 'done' line"
"$server" "$n" 2048 "$plugin" </dev/null >native.txt || fail "the native run failed"
diff <(grep -v '^ready' out.txt) <(grep -v '^ready' native.txt) >/dev/null ||
    fail "the output differs from a native run of $n requests"

"$report" run.htrace >report.txt 2>&1 || fail "heaptrace-report failed: $(head -5 report.txt)"
head -30 report.txt
grep -q 'remember_session' report.txt || fail "the report does not name remember_session"
grep -q 'plugin_remember' report.txt ||
    fail "the report does not name plugin_remember (a library loaded after the attach)"
# shellcheck disable=SC2016 # the backquotes are the report's
grep -q 'kept alive by global `kept` in libattach_plugin.so' report.txt ||
    fail "the plugin's blocks are not held by its table (its realloc was not seen)"
grep -q 'before attach .*in use when heaptrace attached' report.txt ||
    fail "the report does not say what was allocated before the attach"
# the sessions are held by the table made before the attach: alive, not lost
grep -q 'leaked *0 B' report.txt || fail "blocks held by memory from before the attach are called lost"
grep -q 'held by\|kept alive by before_attach' report.txt || fail "no holder named"
"$report" --json run.htrace >report.json || fail "heaptrace-report --json failed"
grep -q '"attached":true' report.json || fail "JSON: attached is not true"
bytes=$(grep -o '"before_attach_bytes":[0-9]*' report.json | head -1 | cut -d: -f2)
{ [ -n "$bytes" ] && [ "$bytes" -ge $((2048 * 1024)) ]; } ||
    fail "JSON: before_attach_bytes '$bytes' is below the 2 MiB allocated before"
grep -q '"end_reason":"detach"' report.json || fail "JSON: end_reason is not detach"

# refusals: clear messages, exit 1, nothing else touched
"$ht" attach 2147483646 2>nosuch.txt
rc=$?
cat nosuch.txt
{ [ "$rc" = 1 ] && grep -q 'no process 2147483646' nosuch.txt; } || fail "no clear message for a missing pid"

if [ "$(id -u)" = 0 ]; then
    # root attaching as nobody to a root process: another user's
    sleep 60 &
    victim=$!
    if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups \
        test -x "$ht"; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$ht" attach -o /tmp/x.htrace \
            "$victim" 2>denied.txt
        rc=$?
    else
        echo "cannot run heaptrace as nobody here: refusal as another user not checked"
        rc=skip
    fi
else
    victim=1 # init: not ours
    "$ht" attach -o x.htrace "$victim" 2>denied.txt
    rc=$?
fi
if [ "$rc" != skip ]; then
    cat denied.txt
    [ "$rc" = 1 ] || fail "attaching to a process not ours exited $rc"
    grep -Eq 'belongs to uid|ptrace_scope|refused' denied.txt || fail "no reason given"
fi
[ "$victim" != 1 ] && kill "$victim" 2>/dev/null

# a user who is not root attaches to a process of its own (no Yama here, or
# ptrace_scope 0: the rule docs/ATTACH.md gives)
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
if [ "$(id -u)" = 0 ] && [ "$scope" = 0 ] && [ "$rc" != skip ]; then
    mkdir -p own && chmod 0777 own
    setpriv --reuid=65534 --regid=65534 --clear-groups "$server" 100000 0 </dev/null >own/out.txt &
    pid=$!
    for _ in $(seq 600); do grep -q '^ready' own/out.txt && break; sleep 0.1; done
    setpriv --reuid=65534 --regid=65534 --clear-groups "$ht" attach -o "$dir/own/run.htrace" \
        --for 1s "$pid" 2>own/attach.txt
    rc=$?
    cat own/attach.txt
    [ "$rc" = 0 ] || fail "a user could not attach to its own process"
    "$report" own/run.htrace | grep -q remember_session || fail "no report of the user's own process"
    kill "$pid"
    pid=
fi
echo PASS
