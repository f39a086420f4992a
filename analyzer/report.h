/* SPDX-License-Identifier: MIT */
/*
 * report.h - the report writers, one file each (report_text.c,
 * report_json.c, report_flame.c, report_massif.c), all reading the same
 * struct model. Every writer is deterministic for a given log.
 */
#ifndef HT_REPORT_H
#define HT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

struct report_opts {
    uint64_t top;       /* entries per list; 0 = all */
    bool no_addresses;  /* text: no addresses and no times (golden files) */
    bool color;         /* text: ANSI colour */
    bool full;          /* text: every section, finding and frame (--full) */
    uint32_t frames;    /* text: at most this many frames per stack (--frames N); 0 = all */
};

/* One process's report; its "leaks" section is left out when skip_leaks
 * (the tree's summed section stands before it). */
void report_text(const struct model *m, const struct report_opts *o, bool skip_leaks, FILE *out);

/*
 * The processes whose leak classes the report's "leaks" holds: one (the
 * process reported), or, for a process tree (tree = true), every image of
 * the tree that ended with a complete snapshot, summed (analysis.c).
 * Each process in procs has m->leaks valid.
 */
struct report_leak_set {
    struct model *const *procs;
    size_t n;
    bool tree;
};

/*
 * JSON for one process (an object, docs/REPORT.md), with a "processes"
 * summary of the whole process tree `procs` (may be empty) and the leak
 * classes of `ls`.
 */
void report_json(const struct model *m, const struct report_opts *o,
                 struct model *const *procs, size_t nprocs, const struct report_leak_set *ls,
                 FILE *out);

/* report_leaks.c: memcheck's classes of ms[0..n) summed (their sites merged,
 * each labelled with its pid when tree), as the text report's "leaks" section
 * (printed only when something is lost) and the JSON "leaks" object and
 * "leaks_processes" (n) with a trailing ",\n" (nothing when n is 0). */
void report_leaks_text(FILE *out, const struct report_opts *o, struct model *const *ms, size_t n,
                       bool tree);
void report_leaks_json(FILE *out, const struct report_opts *o, struct model *const *ms, size_t n,
                       bool tree);
/* One process's class totals as a JSON object (m->leaks must be valid). */
void report_leaks_json_totals(FILE *out, const struct model *m);

/* The process table of a tree: one line per process (pid, ppid, peak,
 * lost, suspects, program, log). */
void report_text_processes(struct model *const *procs, size_t nprocs, FILE *out);
/* The tree's verdict and its processes' suspects, growing ones first. */
void report_tree_suspects(struct model *const *procs, size_t nprocs, const struct report_opts *o,
                          FILE *out);
/* Whether a process has something to say beyond its line in the table:
 * suspects in the program's own code, or a truncated log. */
bool report_text_has_news(const struct model *m);

/* JSON string literal with escapes (shared by writers); NULL prints null. */
void report_json_str(FILE *out, const char *s);
void report_json_str_or_null(FILE *out, const char *s);

/* A stack as a JSON list of FRAME objects (docs/REPORT.md). */
void report_json_stack(FILE *out, const struct model_stack *st);

/* One stack as the text report prints it: a frame per line. */
void report_text_stack(FILE *out, const struct report_opts *o, const struct model_stack *st);

/* Section heading of the text report. */
void report_text_heading(FILE *out, const struct report_opts *o, const char *title);

/* report_retention.c: the retainers of the largest heap snapshot with their
 * paths from the roots, and a summary of every snapshot. */
void report_retention_text(const struct model *m, const struct report_opts *o, FILE *out);
void report_retention_json(const struct model *m, const struct report_opts *o, FILE *out);
struct retention_path;
struct retention_root;
/* A path's root as a JSON object ({"kind":"global","name":...}). */
void report_retention_root_json(FILE *out, const struct retention_root *r);
/* One path as a JSON list, and as one indented text line ("kept alive by ..."). */
void report_retention_path_json(FILE *out, const struct model *m, const struct retention_path *p);
void report_retention_path_line(FILE *out, const struct model *m, const struct retention_path *p);
/* The same with the holder's share: " (9,968 of 10,000 blocks)" when total is not 0. */
void report_retention_path_line_share(FILE *out, const struct model *m,
                                      const struct retention_path *p, uint64_t held,
                                      uint64_t total);

/* report_tree.c: a process tree's reports (analysis.h). Text: with several
 * processes and no --pid, the tree's verdict, a line per process and the
 * summed leaks first, then each process with something to say; else the
 * selected process. JSON: the selected process with the tree's summary. */
struct analysis_tree;
void report_tree_text(const struct analysis_tree *t, const struct report_opts *o, FILE *out);
void report_tree_json(const struct analysis_tree *t, const struct report_opts *o, FILE *out);

/* report_growth.c: the growth findings (findings.h) as the text report's
 * "growth" section (nothing without findings) and as the JSON "growth"
 * array with its key and "growth_samples" (each with a trailing ",\n"). */
struct growth_result;
void report_growth_text(const struct growth_result *r, bool color, FILE *out);
void report_growth_json(const struct growth_result *r, FILE *out);
/* file:line of the stack's frame in the program's own code (userframe.h),
 * into buf (len >= 300); "" and *file NULL when that frame has no line
 * information. */
const char *report_stack_location(const struct model_stack *st, char *buf, size_t len,
                                  const char **file, uint32_t *line);

/* report_gate.c: the gates' verdicts (findings.h, gate_eval's results[0..n)).
 * One "heaptrace-report: gate failed: 'RULE': ..." line per failed rule and
 * one "heaptrace-report: error: ..." per rule that cannot apply, on out;
 * GitHub Actions workflow commands ("::error file=F,line=L::message");
 * JUnit XML, one testsuite, one testcase per rule, written to path
 * (@return HT_EXIT_OK, or HT_EXIT_USAGE after a message). The wording is a
 * public contract (docs/CI.md). */
struct gate_result;
void report_gate_lines(const struct gate_result *res, size_t n, FILE *out);
void report_gate_github(const struct gate_result *res, size_t n, FILE *out);
int report_gate_junit(const struct gate_result *res, size_t n, const struct model *m,
                      const char *path);

/* Byte counts for people: "1023 B", "1.5 KiB", "12.0 MiB". */
const char *report_bytes(uint64_t n, char buf[32]);

/* report_suspects.c: counts with thousands separators ("9,968"). */
const char *report_count(uint64_t n, char buf[32]);
/* A function's name for a headline: without its parameter list, long C++
 * template argument lists folded to <...> ("LruCache::put"). */
const char *report_short_name(const char *name, char *buf, size_t len);
/* The same folding of long template argument lists, the parameter list kept
 * ("std::_Hashtable<...>::_M_insert(...)"); "Grid<int>" stays. */
const char *report_fold_templates(const char *name, char *buf, size_t len);
/* "port_open (weak_ports.c:117)", or "f (no line info)"; NULL f: "an unknown place". */
struct sym_frame;
const char *report_frame_text(const struct sym_frame *f, char *buf, size_t len);
/* One suspect's headline (suspects.h), without its rank, into buf. */
struct suspects;
struct suspect;
const char *report_suspect_headline(const struct model *m, const struct suspects *all,
                                    const struct suspect *s, char *buf, size_t len);
/* The suspects section of the text report, and the JSON "suspects" array
 * (with its key and a trailing comma). */
void report_suspects_text(const struct model *m, const struct report_opts *o, FILE *out);
void report_suspects_json(const struct model *m, FILE *out);

#endif /* HT_REPORT_H */
