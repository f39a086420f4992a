/* SPDX-License-Identifier: MIT */
/*
 * exitcode.h - the exit statuses of heaptrace-report, of the wrapper, and of
 * the processes libheaptrace.so ends itself, in one place.
 *
 * Every path out of heaptrace-report's main returns one of these, and every
 * function whose result becomes the exit status (loading a log, writing an
 * output file, evaluating the gates) returns one too. docs/REPORT.md ("Exit
 * status") and docs/CI.md document the same numbers; the `heaptrace` wrapper
 * (scripts/heaptrace.in) passes them through from --gate, and adds its own
 * (HT_EXIT_WRAPPER and up) for failures that are its own.
 */
#ifndef HT_EXITCODE_H
#define HT_EXITCODE_H

enum ht_exit {
    /* the report was written (also for a truncated log, with a warning) */
    HT_EXIT_OK = 0,
    /* a --fail-on rule holds; the report is still written */
    HT_EXIT_FINDING = 1,
    /* a usage error: an unknown option, a rule that does not parse or cannot
     * apply, an output file named on the command line that cannot be written */
    HT_EXIT_USAGE = 2,
    /* unreadable or corrupt input: same code as usage, its own name for the
     * call sites; the message names the file (and the byte offset) */
    HT_EXIT_INPUT = 2,
    /* internal error: out of memory, cannot write the report to stdout */
    HT_EXIT_INTERNAL = 3,

    /* The wrapper's own, shell conventions (scripts/heaptrace.in): */
    HT_EXIT_WRAPPER = 125,    /* heaptrace itself failed: usage, no log written */
    HT_EXIT_CANNOT_RUN = 126, /* PROGRAM is not an executable file */
    HT_EXIT_NOT_FOUND = 127,  /* PROGRAM is not found on PATH */

    /* libheaptrace.so's, in the traced process and its own tasks: */
    HT_EXIT_SHIM_BOOTSTRAP = 127, /* the allocator was not found: the program cannot run */
    HT_EXIT_SIGNAL_BASE = 128,    /* + signal: a snapshot child's scan faulted (a bug) */
};

#endif /* HT_EXITCODE_H */
