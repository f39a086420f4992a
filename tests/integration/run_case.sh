#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run_case.sh - one integration case: run a command natively, run it again
# under the shim, require the same stdout and exit status (and stderr, but for
# the shim's own "heaptrace:" lines), then read every log back with logcheck.
#
#   run_case.sh --shim LIB --logcheck BIN [options] -- COMMAND [ARG...]
#
# Options:
#   --require PROG       skip (exit 77) when PROG is not on PATH
#   --env VAR=VALUE      set in both runs
#   --trace-env VAR=VAL  set in the traced run only (HEAPTRACE_DEPTH=8 ...)
#   --kill-after SECS    SIGKILL the command after SECS (both runs)
#   --root-check EXPR    logcheck expectation on the first log written
#   --child-check EXPR   ... on every other log
#   --each-check EXPR    ... on every log
#   --min-logs N         at least N logs (default 1)
#   --max-logs N         at most N logs
#   --exe-logs NAME=N    at least N logs whose HEADER.exe or argv[0] basename
#                        is NAME (redis-server is a link to redis-check-rdb)
#   --children-name-parent   every log but the first names a listed log as parent
#   --stderr-any         do not compare stderr (programs that print timings)
#   --out PATTERN        HEAPTRACE_OUT (default: a fresh dir, %e.%p.htrace)
#   --no-logs            a missing log is fine, and a listed path that is not a
#                        regular file (HEAPTRACE_OUT=/dev/full) is not read
#   --out-in-readonly-dir  HEAPTRACE_OUT in a directory nobody may write to
#                        (use with --as-user; root may write anywhere)
#   --as-user USER       run both runs as USER (needs root and setpriv)
#   --full-tmpfs         HEAPTRACE_OUT into a 256 KiB tmpfs (needs unshare -m);
#                        give it a program whose log outgrows that
#
# The native run is the reference; the temp dir is kept when the case fails
# (or always with HT_KEEP=1). Exit: 0 pass, 1 fail, 77 skip, 2 usage.
set -u

here=$(cd "$(dirname "$0")" && pwd)
shim='' logcheck='' kill_after='' out='' as_user='' min_logs=1 max_logs=''
no_logs=0 full_tmpfs=0 stderr_any=0 children_name_parent=0 readonly_out=0
both_env=() trace_env=() root_checks=() child_checks=() each_checks=() exe_logs=()

die() { echo "run_case: $*" >&2; exit 2; }
skip() { echo "SKIP: $*"; exit 77; }

while [ $# -gt 0 ]; do
    case $1 in
    --shim) shim=$2; shift ;;
    --logcheck) logcheck=$2; shift ;;
    --require) command -v "$2" >/dev/null 2>&1 || skip "$2 not installed"; shift ;;
    --env) both_env+=("$2"); shift ;;
    --trace-env) trace_env+=("$2"); shift ;;
    --kill-after) kill_after=$2; shift ;;
    --root-check) root_checks+=(-e "$2"); shift ;;
    --child-check) child_checks+=(-e "$2"); shift ;;
    --each-check) each_checks+=(-e "$2"); shift ;;
    --min-logs) min_logs=$2; shift ;;
    --max-logs) max_logs=$2; shift ;;
    --out-in-readonly-dir) readonly_out=1 ;;
    --exe-logs) exe_logs+=("$2"); shift ;;
    --children-name-parent) children_name_parent=1 ;;
    --stderr-any) stderr_any=1 ;;
    --out) out=$2; shift ;;
    --no-logs) no_logs=1 ;;
    --as-user) as_user=$2; shift ;;
    --full-tmpfs) full_tmpfs=1 ;;
    --) shift; break ;;
    *) die "unknown option '$1'" ;;
    esac
    shift
done
[ $# -gt 0 ] || die "no command"
[ -f "$shim" ] || die "shim '$shim' not found"
[ -x "$logcheck" ] || die "logcheck '$logcheck' not found"

# Neither run may inherit a tracer from whoever started the test.
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ht-integ.XXXXXX") || die "mktemp failed"
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
# shellcheck disable=SC2317 # called by the EXIT trap
finish() {
    if [ "$failed" = 0 ] && [ "${HT_KEEP:-0}" = 0 ]; then
        rm -rf "$tmp"
    else
        echo "run_case: files kept in $tmp" >&2
    fi
}
trap finish EXIT
mkdir -p "$tmp/native" "$tmp/traced" "$tmp/logs"
chmod 0755 "$tmp" # servers that drop privileges read their files below it
loglist=$tmp/loglist
[ -n "$out" ] || out=$tmp/logs/%e.%p.htrace
: >"$loglist" # the shim appends to it; it need not create it

# --as-user: both runs as USER, so the native run sees the same permissions.
user_prefix=()
if [ -n "$as_user" ]; then
    [ "$(id -u)" = 0 ] || skip "--as-user $as_user needs root"
    command -v setpriv >/dev/null 2>&1 || skip "setpriv not installed"
    id "$as_user" >/dev/null 2>&1 || skip "user $as_user does not exist"
    group=$(id -gn "$as_user")
    user_prefix=(setpriv "--reuid=$as_user" "--regid=$group" --clear-groups)
    chmod 0777 "$tmp/native" "$tmp/traced" "$tmp/logs"
    chmod 0666 "$loglist"
fi

if [ "$readonly_out" = 1 ]; then
    mkdir "$tmp/readonly"
    chmod 0555 "$tmp/readonly"
    out=$tmp/readonly/%e.%p.htrace
fi

# --full-tmpfs: the traced run gets a private mount namespace with a tiny,
# nearly full tmpfs over $tmp/logs; logs are copied out before it goes away.
mount_prefix=()
if [ "$full_tmpfs" = 1 ]; then
    command -v unshare >/dev/null 2>&1 || skip "unshare not installed"
    unshare -m true 2>/dev/null || skip "unshare -m not permitted here (no mount namespace)"
    mkdir -p "$tmp/fs" "$tmp/copied"
    mount_prefix=(unshare -m "$here/in_full_tmpfs.sh" "$tmp/fs" 256 256 "$tmp/copied")
    out=$tmp/fs/%e.%p.htrace
fi

# run DIR ENV... -- COMMAND...: runs in DIR through ${prefix[@]}, capturing
# stdout, stderr and status beside DIR.
prefix=()
run() {
    local dir=$1 pid status
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    (cd "$dir" && exec "${prefix[@]}" env "${envs[@]}" "$@") >"$dir.out" 2>"$dir.err" &
    pid=$!
    if [ -n "$kill_after" ]; then
        sleep "$kill_after"
        # the subshell exec'd into the command (setpriv and env exec too),
        # so $pid is the program itself
        kill -KILL "$pid" 2>/dev/null
    fi
    { wait "$pid"; } 2>/dev/null # no "Killed" job report
    status=$?
    echo "$status" >"$dir.status"
}

prefix=("${user_prefix[@]}")
run "$tmp/native" "${both_env[@]}" -- "$@"
prefix=("${user_prefix[@]}" "${mount_prefix[@]}")
run "$tmp/traced" "${both_env[@]}" "${trace_env[@]}" "LD_PRELOAD=$shim" "HEAPTRACE_OUT=$out" \
    "HEAPTRACE_LOGLIST=$loglist" -- "$@"
echo "native: status $(cat "$tmp/native.status"), traced: status $(cat "$tmp/traced.status")"

# ---- same behaviour --------------------------------------------------------
if ! cmp -s "$tmp/native.status" "$tmp/traced.status"; then
    fail "exit status differs: native $(cat "$tmp/native.status"), traced $(cat "$tmp/traced.status")"
fi
if ! cmp -s "$tmp/native.out" "$tmp/traced.out"; then
    fail "stdout differs (native vs traced):"
    diff "$tmp/native.out" "$tmp/traced.out" | head -20 >&2
fi
shim_lines=$(grep -c '^heaptrace:' "$tmp/traced.err")
if [ "$shim_lines" -gt 1 ]; then
    fail "the shim printed $shim_lines lines on stderr (at most 1):"
    grep '^heaptrace:' "$tmp/traced.err" | head -5 >&2
fi
if [ "$stderr_any" = 0 ] && ! grep -v '^heaptrace:' "$tmp/traced.err" | cmp -s "$tmp/native.err" -; then
    fail "stderr differs beyond 'heaptrace:' lines (native vs traced):"
    grep -v '^heaptrace:' "$tmp/traced.err" | diff "$tmp/native.err" - | head -20 >&2
fi
if [ "$shim_lines" -gt 0 ]; then
    echo "shim said: $(grep '^heaptrace:' "$tmp/traced.err")"
fi

# ---- logs ------------------------------------------------------------------
logs=()
if [ -s "$loglist" ]; then
    mapfile -t logs <"$loglist"
fi
if [ "$full_tmpfs" = 1 ]; then
    # the tmpfs is gone: read the copies in $tmp/copied
    for i in "${!logs[@]}"; do logs[i]=$tmp/copied/$(basename "${logs[i]}"); done
fi
echo "logs written: ${#logs[@]}"
if [ "$no_logs" = 0 ] && [ "${#logs[@]}" -lt "$min_logs" ]; then
    fail "${#logs[@]} logs listed in HEAPTRACE_LOGLIST, want at least $min_logs"
fi
if [ -n "$max_logs" ] && [ "${#logs[@]}" -gt "$max_logs" ]; then
    fail "${#logs[@]} logs listed in HEAPTRACE_LOGLIST, want at most $max_logs"
fi

declare -A exe_count=()
for i in "${!logs[@]}"; do
    log=${logs[i]}
    if [ ! -e "$log" ]; then
        fail "listed log '$log' does not exist"
        continue
    fi
    if [ "$no_logs" = 1 ] && [ ! -f "$log" ]; then
        echo "log $i: '$log' is not a regular file, not read"
        continue
    fi
    checks=("${each_checks[@]}")
    if [ "$i" = 0 ]; then
        checks+=("${root_checks[@]}")
    else
        checks+=("${child_checks[@]}")
        [ "$children_name_parent" = 1 ] && checks+=(--parent-in "$loglist")
    fi
    if ! header=$("$logcheck" --header "$log" 2>&1); then
        fail "log '$log' does not read back: $header"
        continue
    fi
    exe=$(printf '%s\n' "$header" | head -1 | cut -f3)
    exe=${exe##*/}
    arg0=$(printf '%s\n' "$header" | head -1 | cut -f6)
    arg0=${arg0##*/}
    exe_count[$exe]=$(( ${exe_count[$exe]:-0} + 1 ))
    if [ -n "$arg0" ] && [ "$arg0" != "$exe" ]; then
        exe_count[$arg0]=$(( ${exe_count[$arg0]:-0} + 1 ))
    fi
    echo "log $i: $exe (pid $(printf '%s\n' "$header" | head -1 | cut -f1))"
    # (--header above already read the whole log and rejected corruption)
    if [ "${#checks[@]}" -gt 0 ] && ! "$logcheck" "${checks[@]}" "$log"; then
        fail "expectations on log $i ('$log', $exe) do not hold"
        "$logcheck" --summary "$log" >&2
    fi
done
for want in "${exe_logs[@]}"; do
    name=${want%=*} n=${want##*=}
    if [ "${exe_count[$name]:-0}" -lt "$n" ]; then
        fail "${exe_count[$name]:-0} logs from $name, want at least $n"
    fi
done

# A log path that names an existing device must be written to, not beside.
case $out in
/dev/*)
    for f in "$out".* "$out"[0-9]*; do
        if [ -e "$f" ]; then
            fail "the shim created '$f' next to the device $out"
            rm -f "$f"
        fi
    done
    ;;
esac

if [ "$failed" = 0 ]; then
    echo "PASS"
    exit 0
fi
exit 1
