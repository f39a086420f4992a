/* SPDX-License-Identifier: MIT */
/*
 * gate.h - CI gates: `--fail-on RULE` rules, parsed up front (a rule that
 * does not parse is a usage error naming the column), evaluated on the
 * report model into plain verdicts (findings.h, struct gate_result) that
 * report_gate.c writes as stderr lines, JUnit XML and GitHub annotations.
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
#include "findings.h"
#include "growth.h"
#include "model.h"

/* struct gate_rule (a parsed rule) and struct gate_result (a verdict) are
 * in findings.h. */

/*
 * Parses text into *r. @return 0, or -1 with err set to
 * "cannot parse rule 'growth >> 4': unexpected '>' at column 9".
 */
int gate_parse(const char *text, struct gate_rule *r, char *err, size_t errlen);
void gate_rule_release(struct gate_rule *r);

/* Whether any rule needs a --baseline log. */
bool gate_needs_baseline(const struct gate_rule *rules, size_t n);

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
 * Evaluates every rule into results[0..n) (which borrow rules and the
 * models' stacks). Prints nothing.
 * @return HT_EXIT_OK (all pass), HT_EXIT_FINDING (a rule failed) or
 * HT_EXIT_USAGE (a rule cannot apply).
 */
int gate_eval(const struct gate_rule *rules, size_t n, const struct gate_input *in,
              struct gate_result *results);

#endif /* HT_GATE_H */
