/* SPDX-License-Identifier: MIT */
/*
 * gate.h - CI gates: `--fail-on RULE` rules, parsed up front (a rule that
 * does not parse is a usage error naming the column), evaluated on the
 * report model, written as stderr lines, JUnit XML and GitHub annotations.
 *
 * Grammar (spaces between tokens are optional):
 *     rule    := "new-growth" | metric op value
 *     metric  := leaked | leaked.blocks | live_at_exit | live_at_exit.blocks
 *              | peak | rss | growth | owner.KIND.live | owner.KIND.bytes
 *     op      := ">" | ">=" | "<" | "<="
 *     value   := ["+"] number [unit] ["/mark" | "/s"]
 *     unit    := B KiB MiB GiB KB MB GB | "%" (only with "+", against --baseline)
 * "+X" and "+N%" are relative to the same metric in the baseline log.
 * `growth > X/mark` (or /s) compares the slope of every growth finding,
 * `growth > X` their gained bytes. Suppressed sites count nowhere.
 * `leaked` is memcheck's "lost" (definitely + indirectly lost) when the log
 * has an exit snapshot, else what was live at the end (model_leaked);
 * `live_at_exit` is always what was live at the end. Both sum over the
 * processes of gate_input.procs when it is set (a process tree).
 */
#ifndef HT_GATE_H
#define HT_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exitcode.h"
#include "growth.h"
#include "model.h"

enum gate_metric {
    GATE_LEAKED, GATE_LEAKED_BLOCKS, GATE_PEAK, GATE_RSS, GATE_GROWTH,
    GATE_OWNER_LIVE, GATE_OWNER_BYTES, GATE_NEW_GROWTH, GATE_LIVE_AT_EXIT,
    GATE_LIVE_AT_EXIT_BLOCKS,
};
enum gate_op { GATE_GT, GATE_GE, GATE_LT, GATE_LE };
enum gate_per { GATE_PER_NONE, GATE_PER_MARK, GATE_PER_S };

struct gate_rule {
    char *text;          /* as given */
    enum gate_metric metric;
    char owner_kind[32]; /* owner.KIND.* */
    enum gate_op op;
    double value;        /* bytes, count, or percent */
    bool relative, percent;
    enum gate_per per;
};

/*
 * Parses text into *r. @return 0, or -1 with err set to
 * "cannot parse rule 'growth >> 4': unexpected '>' at column 9".
 */
int gate_parse(const char *text, struct gate_rule *r, char *err, size_t errlen);
void gate_rule_release(struct gate_rule *r);

/* Whether any rule needs a --baseline log. */
bool gate_needs_baseline(const struct gate_rule *rules, size_t n);

struct gate_result {
    const struct gate_rule *rule;
    bool failed, error; /* error: the rule cannot apply to this log (HT_EXIT_USAGE) */
    char message[1024];  /* value, limit and site */
    char file[256];     /* site's source file, "" when unknown */
    uint32_t line;
};

struct gate_input {
    const struct model *m;
    const struct model *base;             /* NULL without --baseline */
    /* a process tree (no --pid): leaked and live_at_exit sum over these
     * (m among them), and over base_procs for the baseline; NULL: m alone */
    struct model *const *procs, *const *base_procs;
    size_t nprocs, nbase_procs;
    const struct suppressions *supp;      /* may be NULL */
    bool ignore_startup;
};

/*
 * Evaluates every rule. results must hold n entries.
 * @return HT_EXIT_OK (all pass), HT_EXIT_FINDING (a rule failed) or
 * HT_EXIT_USAGE (a rule cannot apply).
 */
int gate_eval(const struct gate_rule *rules, size_t n, const struct gate_input *in,
              struct gate_result *results);

/* One line per failed rule: "heaptrace-report: gate failed: ..." on out. */
void gate_write_lines(const struct gate_result *res, size_t n, FILE *out);

/* GitHub Actions workflow commands: "::error file=F,line=L::message". */
void gate_write_github(const struct gate_result *res, size_t n, FILE *out);

/* JUnit XML: one testsuite, one testcase per rule. @return HT_EXIT_OK, or HT_EXIT_USAGE after a message. */
int gate_write_junit(const struct gate_result *res, size_t n, const struct model *m,
                     const char *path);

#endif /* HT_GATE_H */
