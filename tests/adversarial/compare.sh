#!/bin/bash
# compare.sh SHIM REPORT [--marker SIZE]... [--ulimit N] [--wait FILE]
#            [--relative-out] [--env VAR=VAL]... [--trace-env VAR=VAL]...
#            [--count TAG(==|>=)N]... [--exit-snapshot] [--shim-line]
#            [--require PROG] [--wrapper HEAPTRACE] -- PROGRAM [ARGS...]
# Runs PROGRAM natively, then under the shim, each in a fresh working
# directory, and fails unless both runs print the same stdout and stderr, end
# with the same status (or signal), and leave the same files (names, modes,
# contents) in that directory. @DIR@ in ARGS becomes the run's directory.
# Then every log the traced run wrote must read back (heaptrace-report
# --dump exits 0), end with END, and hold each marker block (an ALLOC of
# that exact size) the program made, before and after whatever it did to
# its descriptors. --wait FILE: the program leaves a daemon behind; wait
# (up to 60 s) until FILE appears in the directory, then until every log
# has its END. --relative-out: HEAPTRACE_OUT is a relative name, which must
# land in the directory the program started in. --env sets VAR in both runs,
# --trace-env in the traced one only. --count: the logs hold that many
# records of that tag in all (NOTE==1, SNAPSHOT_BEGIN>=3). --exit-snapshot:
# every log that ends with END has an exit snapshot. --shim-line: the traced
# stderr may have one more line, the shim's own ("heaptrace: ..."). A log
# whose image was replaced by an exec (its last record EXEC) is complete.
# --require PROG: skip (exit 77) without PROG. --wrapper HEAPTRACE: trace
# through the heaptrace wrapper (HEAPTRACE -o LOG -- PROGRAM) instead of
# LD_PRELOAD; its summary line counts as the shim's line for --shim-line.
set -eu
shim=$1 report=$2
shift 2
wrapper="" markers="" limit="" waitfile="" relative=0 counts="" exit_snapshot=0 shim_line=0
both_env=() trace_env=()
while [ $# -gt 0 ]; do
    case $1 in
    --env) both_env+=("$2"); shift 2 ;;
    --trace-env) trace_env+=("$2"); shift 2 ;;
    --count) counts="$counts $2"; shift 2 ;;
    --exit-snapshot) exit_snapshot=1; shift ;;
    --shim-line) shim_line=1; shift ;;
    --require) command -v "$2" >/dev/null 2>&1 || { echo "SKIP: $2 not installed"; exit 77; }; shift 2 ;;
    --marker) markers="$markers $2"; shift 2 ;;
    --ulimit) limit=$2; shift 2 ;;
    --wrapper) wrapper=$2; shift 2 ;;
    --wait) waitfile=$2; shift 2 ;;
    --relative-out) relative=1; shift ;;
    --) shift; break ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}

# run MODE: runs the program in $work/MODE, its stdout, stderr and status in $work/MODE.*
run() {
    mode=$1
    dir=$work/$mode
    mkdir -p "$dir" "$work/logs"
    set --
    for a in $args; do
        [ "$a" = @DIR@ ] && a=$dir
        set -- "$@" "$a"
    done
    out="$work/logs/run.htrace"
    [ "$relative" = 1 ] && out="run-$$.htrace"
    (
        cd "$dir"
        [ -n "$limit" ] && ulimit -n "$limit"
        if [ "$mode" = traced ] && [ -n "$wrapper" ]; then
            exec timeout -s KILL 60 env ${both_env[@]+"${both_env[@]}"} \
                ${trace_env[@]+"${trace_env[@]}"} "$wrapper" -o "$out" -- "$program" "$@"
        elif [ "$mode" = traced ]; then
            exec timeout -s KILL 60 env ${both_env[@]+"${both_env[@]}"} \
                ${trace_env[@]+"${trace_env[@]}"} LD_PRELOAD="$shim" HEAPTRACE_OUT="$out" \
                "$program" "$@"
        else
            exec timeout -s KILL 60 env ${both_env[@]+"${both_env[@]}"} "$program" "$@"
        fi
    ) >"$work/$mode.stdout" 2>"$work/$mode.stderr" && st=0 || st=$?
    echo "$st" >"$work/$mode.status"
    if [ -n "$waitfile" ]; then
        i=0
        while [ ! -e "$dir/$waitfile" ] && [ $i -lt 600 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        [ -e "$dir/$waitfile" ] || fail "$mode: $waitfile never appeared"
    fi
}

program=$1
shift
args="$*"
run native
run traced
logdir=$work/logs
[ "$relative" = 1 ] && logdir=$work/traced

if [ "$shim_line" = 1 ]; then # the shim's own line goes; the rest must match
    n_shim=$(grep -c '^heaptrace:' "$work/traced.stderr" || true)
    [ "$n_shim" -le 1 ] || fail "the shim printed $n_shim lines on stderr (at most 1)"
    grep -v '^heaptrace:' "$work/traced.stderr" >"$work/traced.stderr.program" || true
    mv "$work/traced.stderr.program" "$work/traced.stderr"
fi
for what in stdout stderr status; do
    if ! cmp -s "$work/native.$what" "$work/traced.$what"; then
        echo "--- native $what / +++ traced $what"
        diff "$work/native.$what" "$work/traced.$what" || true
        fail "the traced program's $what differs"
    fi
done
listing() {
    (cd "$work/$1" && find . -type f ! -name '*.htrace' -exec stat -c '%a %s %n' {} + | sort)
}
[ "$(listing native)" = "$(listing traced)" ] ||
    fail "the files differ: native: $(listing native); traced: $(listing traced)"
(cd "$work/native" && find . -type f ! -name '*.htrace') | while read -r f; do
    cmp -s "$work/native/$f" "$work/traced/$f" || fail "$f differs"
done
if [ "$relative" = 1 ] && ls /run-$$*.htrace >/dev/null 2>&1; then
    rm -f /run-$$*.htrace
    fail "a relative HEAPTRACE_OUT landed in / (the daemon's directory)"
fi

# Complete: END, or an exec replaced the image (EXEC is the last record).
ended() {
    grep -q ' END reason=' "$1" || tail -n 1 "$1" | grep -q ' EXEC path='
}

# The logs: each must read back and end with END (a daemon's is written
# when it exits, after its done file: give it time).
i=0
while :; do
    complete=1 n=0
    for log in "$logdir"/*.htrace; do
        [ -e "$log" ] || continue
        n=$((n + 1))
        if ! "$report" --dump "$log" >"$log.dump" 2>"$log.err" || ! ended "$log.dump"; then
            complete=0
        fi
    done
    [ "$complete" = 1 ] && [ "$n" -gt 0 ] && break
    i=$((i + 1))
    [ $i -lt 300 ] || break
    sleep 0.1
done
[ "$n" -gt 0 ] || fail "no log written"
for log in "$logdir"/*.htrace; do
    "$report" --dump "$log" >"$log.dump" || fail "heaptrace-report cannot read $log: $(cat "$log.err")"
    ended "$log.dump" || fail "$log has no END: incomplete"
    if [ "$exit_snapshot" = 1 ] && grep -q ' END reason=' "$log.dump"; then
        grep -q ' SNAPSHOT_BEGIN seq=[0-9]* reason=exit' "$log.dump" ||
            fail "$log has no exit snapshot"
    fi
done
for c in $counts; do
    tag=${c%%[=>]*} op=${c#"$tag"} want=${c##*[=>]}
    got=$(cat "$logdir"/*.dump | grep -c " $tag " || true)
    case $op in
    "==$want") [ "$got" -eq "$want" ] ;;
    ">=$want") [ "$got" -ge "$want" ] ;;
    *) echo "compare.sh: bad --count $c" >&2; exit 2 ;;
    esac || fail "$got $tag record(s) in the logs, want $op"
done
for m in $markers; do
    cat "$logdir"/*.dump | grep -q " size=$m stack=" || fail "no ALLOC of $m bytes in the logs"
done
echo "ok: same output, status $(cat "$work/native.status"), files and descriptors; $n log(s) complete"
