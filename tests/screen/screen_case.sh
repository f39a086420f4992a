#!/bin/sh
# SPDX-License-Identifier: MIT
#
# screen_case.sh - the first screen of a report, as a user sees it: trace a
# program with the heaptrace wrapper, read its default text report, and check
#   - the verdict leads (line 4 of a single program's report, line 3 of a tree's)
#     and every suspect's headline lies in the first 40 lines;
#   - a single program's report stays short (at most 150 lines);
#   - every suspect in the program's own code names a line of SOURCES
#     ("(file.c:87)");
#   - no report (text, --full, JSON) names a frame of heaptrace's own
#     (heaptrace__*, libheaptrace, preload/*.c);
#   - the answer (header, verdict, suspects, hints; for a tree the process
#     lines too), pids and build paths masked, equals EXPECTED
#     (UPDATE_GOLDEN=1 rewrites it; check the diff);
#   - with --gate RULE, heaptrace-report --fail-on RULE exits GATE_RC;
#   - with --expect REGEX (and EXPECTED "-"), a suspect's headline matches
#     each REGEX: for programs timed in seconds, whose amounts and even
#     findings move with the machine's load (up to 3 runs, like tests/growth).
#
#   screen_case.sh NAME EXPECTED WORKDIR HEAPTRACE REPORT SOURCES [options] -- PROGRAM [ARG...]
#     --env VAR=VALUE     for the traced program (repeatable)
#     --term-after TEXT   the program is a daemon: once its stdout has TEXT, send it SIGTERM
#     --mask-numbers      numbers in the answer become N (runs timed in seconds)
#     --gate RULE RC      heaptrace-report --fail-on RULE must exit RC
#     --tree              a process tree: the verdict on line 3, no length bound
#     --expect REGEX      a suspect's headline must match (repeatable)
# Exit: 0 pass, 1 fail, 2 usage.
set -u

[ $# -ge 7 ] || { echo "screen_case: bad usage" >&2; exit 2; }
name=$1 expected=$2 work=$3 heaptrace=$4 report=$5 sources=$6
shift 6
envs='' term='' mask=0 gate='' gate_rc='' tree=0 expects=''
nl='
'
while [ $# -gt 0 ]; do
    case $1 in
        --env) envs="$envs $2"; shift 2 ;;
        --term-after) term=$2; shift 2 ;;
        --mask-numbers) mask=1; shift ;;
        --gate) gate=$2; gate_rc=$3; shift 3 ;;
        --tree) tree=1; shift ;;
        --expect) expects="$expects$2$nl"; shift 2 ;;
        --) shift; break ;;
        *) echo "screen_case: unknown option '$1'" >&2; exit 2 ;;
    esac
done
[ $# -ge 1 ] || { echo "screen_case: no program" >&2; exit 2; }

fail() {
    echo "screen_case $name: $*" >&2
    echo "  (reports in $work)" >&2
    exit 1
}

# --expect: the suspects' headlines match every pattern (0), or not (1)
expected_found() {
    printf '%s' "$expects" | while IFS= read -r re; do
        grep -E '^  [0-9][0-9]*\. |^  pid [0-9]* #[0-9]*: ' "$work/report.txt" | grep -qE "$re" ||
            exit 1
    done
}

# Neither a tracer of whoever runs ctest nor its settings may leak in.
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
log=$work/run.htrace
tries=1
[ -z "$expects" ] || tries=5
attempt=0
while :; do
attempt=$((attempt + 1))
rm -rf "$work" && mkdir -p "$work" || exit 1

# shellcheck disable=SC2086 # envs is a list of VAR=VALUE words
if [ -n "$term" ]; then
    env $envs "$heaptrace" -q -o "$log" -- "$@" >"$work/stdout" 2>"$work/stderr" &
    wrapper=$!
    i=0
    until grep -q "$term" "$work/stdout" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 1200 ] || { kill "$wrapper"; fail "the daemon never said '$term'"; }
        sleep 0.1
    done
    pid=$(sed -n 's/.*pid \([0-9][0-9]*\).*/\1/p' "$work/stdout" | head -n 1)
    [ -n "$pid" ] || fail "the daemon did not say its pid"
    kill -TERM "$pid"
    wait "$wrapper"
    rc=$?
    [ $rc -eq 143 ] || fail "the daemon did not die of SIGTERM (wrapper exit $rc)"
else
    env $envs "$heaptrace" -q -o "$log" -- "$@" >"$work/stdout" 2>"$work/stderr" ||
        fail "'$*' failed under heaptrace (exit $?)"
fi

"$report" --no-addresses --color never "$log" >"$work/report.txt" 2>"$work/report.err" ||
    fail "heaptrace-report failed (exit $?)"
"$report" --no-addresses --color never --full "$log" >"$work/full.txt" 2>/dev/null ||
    fail "heaptrace-report --full failed"
"$report" --json "$log" >"$work/report.json" 2>/dev/null || fail "heaptrace-report --json failed"
[ -z "$expects" ] || expected_found && break
[ "$attempt" -lt "$tries" ] ||
    fail "no suspect matches every one of: $(printf '%s' "$expects" | paste -sd ' ' -)"
echo "screen_case $name: run $attempt found no matching suspect (load?); again" >&2
done

# the verdict leads, the suspects are on the first screen
vline=$(grep -n '^verdict: ' "$work/report.txt" | head -n 1 | cut -d: -f1)
want=4
[ "$tree" = 1 ] && want=3
[ "${vline:-0}" = "$want" ] || fail "the verdict is on line ${vline:-none}, not $want"
if [ "$tree" = 1 ]; then # the tree's own list: each process's details come after
    last=$(grep -n '^  pid [0-9]* #[0-9]*: ' "$work/report.txt" | tail -n 1 | cut -d: -f1)
else
    last=$(grep -n '^  [0-9][0-9]*\. ' "$work/report.txt" | tail -n 1 | cut -d: -f1)
fi
[ "${last:-0}" -le 40 ] || fail "a suspect is on line $last, below the first 40"
lines=$(wc -l <"$work/report.txt")
[ "$tree" = 1 ] || [ "$lines" -le 150 ] || fail "the default report has $lines lines (at most 150)"

# every suspect of the program's own code names one of its source lines
# shellcheck disable=SC2086 # SOURCES is a list
pat=$(printf '%s\n' $sources | sed 's/\./\\./g' | paste -sd '|' -)
grep '^  [0-9][0-9]*\. \|^  pid [0-9]* #[0-9]*: ' "$work/report.txt" | grep -v '(system)' |
    grep -Ev "\\(($pat):[0-9]+\\)" >"$work/unnamed"
[ ! -s "$work/unnamed" ] || fail "suspects without a line of $sources: $(cat "$work/unnamed")"

# no path, stack or name through heaptrace's own frames
if grep -nE 'heaptrace__|libheaptrace|preload/[a-z_]+\.c|heaptrace\.h:' \
    "$work/report.txt" "$work/full.txt" "$work/report.json" >"$work/own"; then
    fail "heaptrace's own frames in a report: $(head -n 3 "$work/own")"
fi

if [ -n "$gate" ]; then
    "$report" --fail-on "$gate" "$log" >/dev/null 2>"$work/gate.err"
    rc=$?
    [ $rc -eq "$gate_rc" ] || fail "--fail-on '$gate' exited $rc, not $gate_rc: $(cat "$work/gate.err")"
fi

# the answer: up to the first section after the suspects
awk -v tree="$tree" '
    /^summary$/ || /^leaks of the process tree/ { exit }
    tree == 1 && /^heaptrace report: \// { exit }
    { print }' "$work/report.txt" |
    sed -e 's/(pid [0-9][0-9]*)/(pid PID)/' -e 's/^  pid [0-9][0-9]* #/  pid PID #/' \
        -e 's/^  *[0-9][0-9]*  *[0-9][0-9]*  */  PID PPID /' -e 's/run\.[0-9][0-9]*\.htrace/run.PID.htrace/' \
        -e 's|^heaptrace report: .*/\([^/ ]*\) (pid|heaptrace report: \1 (pid|' \
        -e 's|^  command: [^ ]*/\([^/ ]*\)|  command: \1|' \
        -e 's|process tree of [^ ]*/\([^/ ]*\) (pid|process tree of \1 (pid|' \
        -e 's/peak heap [0-9.]* [KMGT]*i*B/peak heap P/' \
        -e 's/([0-9,]* of [0-9,]* blocks)/(N of M blocks)/' >"$work/answer.raw"
# a tree's processes run in any order: their lines sorted within each list
awk '/^  pid PID #|^  PID PPID / { print | "sort"; next } { close("sort"); print }' \
    "$work/answer.raw" >"$work/answer"
if [ "$mask" = 1 ]; then
    # timed runs: keep the lines of code and the ranks, not the amounts
    sed -e 's/^  \([0-9][0-9]*\)\. /  #\1# /' -e 's/^verdict: \([0-9][0-9]*\) /verdict: #\1# /' \
        -e 's/\([^:0-9A-Za-z_#]\)[0-9][0-9,.]*/\1N/g' \
        -e 's/^  #\([0-9][0-9]*\)# /  \1. /' -e 's/^verdict: #\([0-9][0-9]*\)# /verdict: \1 /' \
        "$work/answer" >"$work/answer.masked" &&
        mv "$work/answer.masked" "$work/answer"
fi
[ "$expected" != - ] || exit 0
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$work/answer" "$expected" && echo "screen_case: wrote $expected"
    exit 0
fi
diff -u "$expected" "$work/answer" ||
    fail "the first screen differs from $expected (UPDATE_GOLDEN=1 ctest -R screen rewrites it)"
exit 0
