#!/bin/bash
# SPDX-License-Identifier: MIT
#
# reports_same.sh - the analyzer's outputs, byte for byte, against those of a
# base revision: a refactor of analyzer/ must not change what a user reads.
#
#   reports_same.sh [--keep] BUILD [BASE]
#
# BUILD  this tree's build directory: its heaptrace-report is the new one, its
#        libheaptrace.so records the logs, its test programs are traced.
# BASE   a git revision (default: $HT_COMPARE_BASE, else tests/compare/BASE).
#        Its heaptrace-report is built from `git archive BASE` under
#        BUILD/compare/base-<commit> (kept: a second run reuses it).
#
# Logs: the committed ones (tests/fuzz/corpus) and fresh recordings of the
# programs the test suite builds (table below; a program not built is
# skipped). Both analyzers read every log in every output mode: text (plain,
# --full, --no-addresses, a --from/--to window), --json, --flamegraph (each
# metric), --massif, --html, --pprof, --dump, --diff (text and JSON), and --fail-on
# gates with --baseline, --junit and --annotate github. stdout, stderr, the
# exit status and every file written are compared; the first differing
# lines of each are printed. Exit: 0 same, 1 different, 77 skipped (no git
# history or BASE absent), 2 usage or a failed step. --keep leaves the work
# directory (BUILD/compare/work) for a look.
set -u

keep=0
[ "${1:-}" = --keep ] && { keep=1; shift; }
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: reports_same.sh [--keep] BUILD [BASE]" >&2; exit 2; }
build=$(cd "$1" && pwd -P) || exit 2
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
new=$build/heaptrace-report
shim=$build/libheaptrace.so
[ -x "$new" ] && [ -f "$shim" ] || { echo "reports_same: build $build first" >&2; exit 2; }

skip() { echo "SKIP: $*"; exit 77; }
command -v git >/dev/null || skip "git is not installed"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || skip "$src has no git history"
base=${2:-${HT_COMPARE_BASE:-$(sed -n 's/^\([0-9a-fA-F]\{7,40\}\).*/\1/p' "$here/BASE")}}
[ -n "$base" ] || skip "no base revision (tests/compare/BASE is empty)"
commit=$(git -C "$src" rev-parse --verify -q "$base^{commit}") ||
    skip "base revision $base is not in this repository (a shallow clone?)"

# Neither a tracer of whoever runs this nor its settings may leak in.
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export LC_ALL=C NO_COLOR=1

# ---- the base analyzer --------------------------------------------------------
basedir=$build/compare/base-$commit
old=$basedir/build/heaptrace-report
if [ ! -x "$old" ]; then
    echo "building heaptrace-report at $base ($commit) in $basedir"
    rm -rf "$basedir" && mkdir -p "$basedir/src" || exit 2
    git -C "$src" archive "$commit" | tar -x -C "$basedir/src" || exit 2
    { cmake -S "$basedir/src" -B "$basedir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
      cmake --build "$basedir/build" --target heaptrace-report -j2; } >"$basedir/build.log" 2>&1 ||
        { echo "reports_same: the base build failed (see $basedir/build.log)" >&2; exit 2; }
fi

# ---- the logs -----------------------------------------------------------------
work=$build/compare/work
rm -rf "$work" && mkdir -p "$work/logs" || exit 2
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT

# NAME | ENVIRONMENT | PROGRAM [ARGS] (@ = BUILD/tests). One directory per
# recording: a process tree is found by scanning the log's directory.
programs='
counts||@/golden/golden_counts
cxx_inline||@/golden/golden_cxx_inline
dlopen_alloc||@/golden/golden_dlopen_alloc @/golden/golden_dlopen_lib.so
iconv_loop||@/golden/golden_iconv_loop
linear_marks|SCEN_MARKS=1|@/growth/linear_leak
linear_time||@/growth/linear_leak
linear_sampled|SCEN_MARKS=1 HEAPTRACE_SAMPLE=4KiB|@/growth/linear_leak
step_marks|SCEN_MARKS=1|@/growth/step_leak
cache_marks|SCEN_MARKS=1|@/growth/cache_plateau
lru_time||@/growth/lru_bounded
realloc_marks|SCEN_MARKS=1|@/growth/realloc_log
slow_series|SCEN_MARKS=1|@/growth/slow_leak --series 16
cycle10||@/leaks/cycle10
chain_reachable||@/leaks/chain_reachable
graph_random||@/leaks/graph_random
thread_unjoined||@/leaks/thread_unjoined_exit
cxx_objects||@/leaks/cxx_objects
fork_tree||@/leaks/fork_tree
fork_exec||@/leaks/fork_exec
exact_accounting||@/integration/exact_accounting
fork_thread|HEAPTRACE_FOLLOW_FORK=1|@/integration/fork_thread
dlopen_loop||@/integration/dlopen_loop @/integration/libdlopen_lib.so
tree_fork||@/tree/tree_shapes fork @/tree/tree_leaker
grow_retained|HEAPTRACE_SNAPSHOT_EVERY_MARKS=100|@/../grow_retained keep 2000
dead_slots|HEAPTRACE_SNAPSHOT_EVERY_MARKS=40|@/../dead_slots
gc_weak||@/gc/weak_table
'
logs=()
while IFS='|' read -r name envs cmd; do
    [ -n "$name" ] || continue
    cmd=${cmd//@/$build/tests}
    read -r -a argv <<<"$cmd"
    [ -x "${argv[0]}" ] || { echo "note: ${argv[0]} not built, $name skipped"; continue; }
    mkdir -p "$work/logs/$name"
    # shellcheck disable=SC2086 # ENVIRONMENT is a list of NAME=VALUE
    # (a recording that hangs is the shim's bug, not this test's: skipped)
    timeout -k 5 120 env $envs LD_PRELOAD="$shim" HEAPTRACE_OUT="$work/logs/$name/run.htrace" \
        "${argv[@]}" >/dev/null 2>&1 </dev/null
    [ $? != 124 ] || { echo "note: $name hung under the shim (killed after 120 s), skipped"; continue; }
    [ -s "$work/logs/$name/run.htrace" ] && logs+=("$work/logs/$name/run.htrace") ||
        echo "note: $name wrote no log, skipped"
done <<<"$programs"
for f in "$src"/tests/fuzz/corpus/*.htrace; do
    mkdir -p "$work/logs/corpus-$(basename "$f" .htrace)"
    cp "$f" "$work/logs/corpus-$(basename "$f" .htrace)/run.htrace"
    logs+=("$work/logs/corpus-$(basename "$f" .htrace)/run.htrace")
done
[ ${#logs[@]} -gt 1 ] || { echo "reports_same: no logs recorded" >&2; exit 2; }

# ---- run both, compare ----------------------------------------------------------
cases=0 diffs=0
# run NAME ARGS...: both analyzers in their own directory (files written by
# name land there), with the log paths the same for both.
run() {
    local name=$1 side bin
    shift
    cases=$((cases + 1))
    for side in old new; do
        bin=$old
        [ $side = new ] && bin=$new
        mkdir -p "$work/$side/$name"
        (cd "$work/$side/$name" && "$bin" "$@" >stdout 2>stderr; echo $? >status)
    done
    local f out=""
    for f in "$work/old/$name"/* "$work/new/$name"/*; do
        f=${f##*/}
        case " $out " in *" $f "*) continue ;; esac
        out="$out $f"
        if ! cmp -s "$work/old/$name/$f" "$work/new/$name/$f"; then
            [ $((diffs++)) = 0 ] && echo "FAIL: outputs differ from $base ($commit)"
            echo "--- $name: $f differs (heaptrace-report $*)"
            diff "$work/old/$name/$f" "$work/new/$name/$f" 2>&1 | head -n 12 | cut -c 1-300
        fi
    done
}

for log in "${logs[@]}"; do
    n=$(basename "$(dirname "$log")")
    run "$n.text" --color never "$log"
    run "$n.full" --color never --full --top 1000 "$log"
    run "$n.noaddr" --color never --no-addresses --no-children --frames 3 "$log"
    run "$n.window" --color never --from 1ms --to 200ms "$log"
    run "$n.json" --json "$log"
    run "$n.json_window" --json --from 1ms --to 200ms --top 3 "$log"
    for metric in peak leaked allocations bytes temporary; do
        run "$n.flame_$metric" --flamegraph out.folded --metric $metric "$log"
    done
    run "$n.massif" --massif massif.out "$log"
    run "$n.html" --html report.html "$log"
    run "$n.pprof" --pprof profile.pb.gz "$log"
    # (a forged log's dump is a gigabyte of the same line)
    case $n in corpus-hostile*) ;; *) run "$n.dump" --dump "$log" ;; esac
    run "$n.gates" --color never --fail-on 'leaked > 0' --fail-on 'growth > 1KiB/s' \
        --fail-on 'peak > 200MiB' --fail-on 'owner.iconv_open.live > 10' \
        --junit junit.xml --annotate github "$log"
    run "$n.gates_marks" --json --fail-on 'growth > 100B/mark' --ignore-startup --warmup 0.1 \
        --junit junit.xml "$log"
done
# pairs: growth against a steady run, and each log against the next
for ((i = 0; i + 1 < ${#logs[@]}; i++)); do
    a=${logs[i]} b=${logs[i + 1]}
    n=$(basename "$(dirname "$a")")-$(basename "$(dirname "$b")")
    run "$n.diff" --diff --color never "$a" "$b"
    run "$n.diff_json" --diff --json "$a" "$b"
    run "$n.baseline" --color never --baseline "$a" --fail-on new-growth \
        --fail-on 'peak > +10%' --fail-on 'leaked > +0%' --junit junit.xml "$b"
done

if [ $diffs = 0 ]; then
    echo "ok: $cases runs on ${#logs[@]} logs, every output byte-identical to $base (${commit:0:12})"
    exit 0
fi
echo "$diffs outputs of $cases runs differ from $base (${commit:0:12});" \
     "rerun with --keep to look at $work (tests/compare/README.md)"
exit 1
