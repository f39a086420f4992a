#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_heaptrace.sh BUILD_DIR WORK_DIR SOURCE_DIR - what a user of the heaptrace wrapper
# relies on: options, stdio and exit status passed through, signal deaths
# passed on, LD_PRELOAD kept, the HEAPTRACE_* contract, the summary line, and
# an installed copy that finds its library; and that scripts/demo's example
# runs traced as it runs natively.  Registered by scripts/CMakeLists.txt.
# shellcheck disable=SC2016 # the sh -c scripts below expand in the traced shell
set -uo pipefail

build=$(cd "$1" && pwd)
work=$2
src=$(cd "$3" && pwd)
ht=$build/heaptrace
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
# expect WHAT GOT WANT
expect() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# The wait status as the caller sees it: "exit N" or "signal NAME".
wait_status() {
    perl -e 'system(@ARGV); my $s = $?;
             print $s & 127 ? "signal " . (split " ", $Config::Config{sig_name})[$s & 127]
                            : "exit " . ($s >> 8)' -MConfig -- "$@"
}

# --- options ----------------------------------------------------------------
"$ht" --help | grep -q '^usage: heaptrace ' || fail "--help prints no usage"
"$ht" --version | grep -Eq '^heaptrace [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version: $("$ht" --version)"
"$ht" --bogus -- true 2>err
expect "unknown option status" $? 125
grep -q "^heaptrace: error: unknown option '--bogus'" err || fail "unknown option message: $(cat err)"
"$ht" --depth zero -- true 2>/dev/null
expect "bad --depth status" $? 125
"$ht" -- no-such-program-xyz 2>/dev/null
expect "missing program status" $? 127
"$ht" -- "$work" 2>/dev/null
expect "non-executable program status" $? 126

# --- stdio and exit status ----------------------------------------------------
out=$(echo in | "$ht" -q -o io.htrace -- sh -c 'cat; echo err >&2; exit 7' 2>err)
expect "exit status" $? 7
expect "stdout" "$out" in
expect "stderr with --quiet" "$(cat err)" err

expect "SIGTERM passed on" "$(wait_status "$ht" -q -- sh -c 'kill -TERM $$' 2>/dev/null)" "signal TERM"
expect "SIGSEGV passed on" "$(wait_status "$ht" -q -- sh -c 'kill -SEGV $$' 2>err)" "signal SEGV"
expect "no extra stderr on a crash" "$(cat err)" ""
expect "exit 0" "$(wait_status "$ht" -q -- true)" "exit 0"

# --- environment ----------------------------------------------------------------
lib=$(cd "$build" && pwd -P)/libheaptrace.so
expect "LD_PRELOAD prepended" "$(LD_PRELOAD=libm.so.6 "$ht" -q -- sh -c 'echo "$LD_PRELOAD"')" \
    "$lib:libm.so.6"
expect "defaults" "$(env -u HEAPTRACE_OUT "$ht" -q -- sh -c \
    'echo "$HEAPTRACE_OUT $HEAPTRACE_DEPTH $HEAPTRACE_FOLLOW_EXEC $HEAPTRACE_FOLLOW_FORK"')" \
    "$PWD/heaptrace.%e.%p.htrace 64 1 1"
expect "options" "$("$ht" -q -o o.htrace --depth 7 --no-follow-exec --no-follow-fork -- sh -c \
    'echo "$HEAPTRACE_OUT $HEAPTRACE_DEPTH $HEAPTRACE_FOLLOW_EXEC $HEAPTRACE_FOLLOW_FORK"')" \
    "$PWD/o.htrace 7 0 0"
"$ht" -q -- sh -c 'test -f "$HEAPTRACE_LOGLIST"' || fail "HEAPTRACE_LOGLIST is not a file"

# --- logs and the summary line ------------------------------------------------------
# The command named is heaptrace-report from PATH, else the one beside heaptrace.
report=heaptrace-report
command -v heaptrace-report >/dev/null || [ ! -x "$build/heaptrace-report" ] ||
    report=$build/heaptrace-report
"$ht" -o run.htrace -- true 2>err
expect "summary line" "$(cat err)" "heaptrace: wrote run.htrace; read it with: $report run.htrace"
[ -s run.htrace ] || fail "run.htrace was not written"

"$ht" -- true 2>err
log=$(sed -n 's/^heaptrace: wrote \(heaptrace\.true\.[0-9]*\.htrace\); .*/\1/p' err)
if [ -z "$log" ] || [ ! -s "$log" ]; then fail "default name: $(cat err)"; fi

# dash forks for the first command and execs the last: one child log at least.
"$ht" -o fork.htrace -- sh -c '/bin/true; /bin/true' 2>err
grep -Eq '^heaptrace: wrote fork\.htrace \(\+[0-9]+ child logs?: [^)]+\); read it with: ' err ||
    fail "child logs: $(cat err)"
for f in $(sed -n 's/.*child logs\{0,1\}: \([^)]*\)).*/\1/p' err | tr -d ','); do
    [ "$f" = ... ] || [ -s "$f" ] || fail "child log $f was not written"
done

# --- installed copy ---------------------------------------------------------------
cmake --install "$build" --prefix "$work/prefix" >/dev/null || fail "cmake --install failed"
"$work/prefix/bin/heaptrace" -q -o installed.htrace -- true || fail "installed heaptrace failed"
[ -s installed.htrace ] || fail "the installed heaptrace wrote no log"

# --- the demo's example ----------------------------------------------------------
cc -g -O1 -fno-omit-frame-pointer -I "$src/include" -o weak_ports "$src/examples/weak_ports.c" ||
    fail "examples/weak_ports.c does not build"
native=$(./weak_ports 500)
expect "weak_ports traced" "$("$ht" -q -o weak_ports.htrace -- ./weak_ports 500)" "$native"
[ -s weak_ports.htrace ] || fail "weak_ports.htrace was not written"

[ "$fails" = 0 ] && echo "all wrapper checks passed"
exit $((fails > 0))
