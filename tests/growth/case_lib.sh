# shellcheck shell=sh disable=SC2034 # fail is read by the scripts that source this
# SPDX-License-Identifier: MIT
# case_lib.sh - sourced by the growth test scripts:
#   case_setup WORKDIR  neither a tracer of whoever runs ctest nor its
#                       HEAPTRACE_* settings leak in; WORKDIR starts empty
#   bad MESSAGE         records a failure (fail=1) and says why on stderr
case_setup() {
    unset LD_PRELOAD
    for v in $(env | sed -n 's/^\(HEAPTRACE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
    rm -rf "$1" && mkdir -p "$1" || exit 1
    fail=0
}

bad() {
    echo "FAIL: $*" >&2
    fail=1
}
