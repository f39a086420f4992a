/* SPDX-License-Identifier: MIT */
/*
 * analysis.h - one log read, replayed and modelled (struct analysis), and a
 * process tree of logs (struct analysis_tree): the root log plus the logs of
 * its forked and exec'd children found in the same directory.
 *
 * A log C is a child of log P when C's parent_log equals P's log_path (or
 * their basenames match, since logs may have moved), or C's ppid is P's pid,
 * or C has P's pid and started later (exec). Children must not start before
 * their parent. A FORK whose child has no log is a warning, not an error.
 *
 * Errors return an exit code (exitcode.h: HT_EXIT_INPUT for unreadable or
 * corrupt input) after
 * printing one message that names the file and, for corrupt data, the byte.
 */
#ifndef HT_ANALYSIS_H
#define HT_ANALYSIS_H

#include <stdio.h>

#include "exitcode.h"
#include "model.h"

struct growth_opts;

struct analysis_opts {
    struct replay_opts replay;
    struct sym_opts sym;
    bool no_symbols, no_children, has_pid;
    uint64_t pid;
    const char *program; /* --program NAME, --pid PID:NAME: the image whose program's
                          * name starts with NAME; NULL: any */
    const struct growth_opts *growth; /* growth.h; NULL: defaults */
    struct symbolizer *shared_sym;    /* a tree's one symbolizer (analysis_tree_load sets
                                       * it): every process reads a binary's symbols from
                                       * it; NULL: each analysis makes its own */
};

struct analysis {
    char *path;
    struct ht_reader *reader;
    struct replay *rp;
    struct symbolizer *sym;
    bool sym_owned; /* false: the tree's shared one */
    struct model *model;
    struct growth_result *growth; /* growth.h; model->growth points here */
    struct suspects *suspects;    /* suspects.h; model->suspects points here */
    struct leaks *leaks;          /* leaks.h, fed by the replay; model->leaks, or NULL */
    struct gc_stats *gc;          /* gc.h, fed by the replay; model->gc, or NULL */
};

/* Loads one log. @return HT_EXIT_OK, or HT_EXIT_INPUT after printing the error. */
int analysis_load(struct analysis **out, const char *path, const struct analysis_opts *o);
void analysis_free(struct analysis *a);

/* Prints the reader's error git-style, naming `path` once. */
void analysis_reader_error(const char *path, struct ht_reader *r);

/* A process tree. Writers (report_tree.c) read models, n, selected and
 * show_all only. */
struct analysis_tree {
    struct analysis **procs; /* [0] = the root; parents before children */
    struct model **models;   /* procs[i]->model, in the same order */
    size_t n, selected;      /* selected: the process --pid/--program chose (else 0) */
    bool show_all; /* no --pid: text shows every process in detail */
    struct symbolizer *sym; /* shared by every process of the tree, or NULL */
};

/* Loads path and (unless no_children) its process tree. @return HT_EXIT_OK or HT_EXIT_INPUT. */
int analysis_tree_load(struct analysis_tree **out, const char *path,
                       const struct analysis_opts *o);
struct model *analysis_tree_selected(const struct analysis_tree *t);
void analysis_tree_free(struct analysis_tree *t);

#endif /* HT_ANALYSIS_H */
