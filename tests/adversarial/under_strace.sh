#!/bin/sh
# SPDX-License-Identifier: MIT
# under_strace.sh PROGRAM [ARGS...] - runs PROGRAM under `strace -f`, with
# the LD_PRELOAD this script was given passed to PROGRAM only (strace itself
# runs untraced): the program's threads are then held by another tracer, and
# a snapshot cannot attach them.
preload=${LD_PRELOAD:-}
unset LD_PRELOAD
exec strace -f -qq -o /dev/null -E "LD_PRELOAD=$preload" "$@"
