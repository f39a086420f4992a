/* SPDX-License-Identifier: MIT */
/*
 * report_extra.h - the file outputs beyond text and JSON: folded stacks for
 * flame graphs (report_flame.c), valgrind massif.out (report_massif.c), and
 * the comparison of two logs (report_diff.c), pprof profiles (report_pprof.c).
 */
#ifndef HT_REPORT_EXTRA_H
#define HT_REPORT_EXTRA_H

#include <stdio.h>

#include "analysis.h"
#include "exitcode.h"
#include "model.h"
#include "report.h"

enum flame_metric { FLAME_PEAK, FLAME_LEAKED, FLAME_ALLOCATIONS, FLAME_BYTES, FLAME_TEMPORARY };

/* "peak", "leaked", "allocations", "bytes", "temporary". @return the metric or -1. */
int flame_metric_parse(const char *name);

/*
 * Folded stacks, outermost frame first, ';'-separated, then a space and the
 * metric's value; sites with value 0 are left out. @return HT_EXIT_OK, or HT_EXIT_USAGE when the
 * file cannot be written (message printed).
 */
int flame_write_file(const struct model *m, int metric, const char *path);
/* @return the number of lines written (0: an empty graph, which the file
 * variant warns about on stderr). */
uint64_t flame_write(const struct model *m, int metric, FILE *out);

/* massif.out: timeline snapshots, a detailed heap tree at the peak. @return HT_EXIT_OK or HT_EXIT_USAGE. */
int massif_write_file(const struct model *m, const char *path);
void massif_write(const struct model *m, FILE *out);

/*
 * Loads logs a and b (no process trees), matches sites by symbolized stack
 * and prints the change of peak and leaked bytes, largest growth first;
 * sites only in b are marked new. @return an exit code (exitcode.h).
 */
int diff_run(const char *a, const char *b, const struct analysis_opts *o,
             const struct report_opts *r, bool json, FILE *out);

/*
 * The HTML report (report_html.c): one self-contained page for the process
 * tree procs[0..n) (parents first), opened on procs[selected].
 * @return HT_EXIT_OK, or HT_EXIT_USAGE when the file cannot be written (message printed).
 */
int html_write_file(struct model *const *procs, size_t n, size_t selected, const char *path);
void html_write(struct model *const *procs, size_t n, size_t selected, FILE *out);

/*
 * A pprof profile (profile.proto, gzipped: docs/PPROF.md) of the processes
 * procs[0..n) (the root first): one sample per allocation site and process,
 * labelled with pid and program. A profile without samples is written too,
 * with a warning. @return HT_EXIT_OK, HT_EXIT_USAGE when the file cannot be
 * written or HT_EXIT_INTERNAL when zlib fails (message printed).
 */
int pprof_write_file(struct model *const *procs, size_t n, const char *path);

/* Opens path for writing ("-" is stdout). @return NULL after a message. */
FILE *report_open_output(const char *path);
/* Closes what report_open_output opened. @return HT_EXIT_OK, or HT_EXIT_USAGE after a message. */
int report_close_output(FILE *f, const char *path);

#endif /* HT_REPORT_EXTRA_H */
