/* SPDX-License-Identifier: MIT */
/*
 * findings.h - what the analyses found, as plain data for the writers.
 *
 * The analyzer's data path points one way (scripts/layering.sh):
 *
 *     log -> replay -> model -> analyses -> findings -> writers
 *
 * An analysis fills the structures below and prints nothing; a writer
 * (report_*.c) reads them and computes nothing a user could not recompute
 * from them. So a new output (HTML, pprof...) needs this header, not the
 * internals of growth.c or gate.c. Formatting helpers shared by writers
 * (byte counts, stack locations, JSON strings) live in report.h.
 *
 * This header covers the growth findings (growth.c, growth_retention.c) and
 * the gate verdicts (gate.c). The rest of the model has its own headers:
 * struct model (model.h: sites, functions, owners, the replay's totals),
 * struct suspects (suspects.h), the leak classes (leaks.h), retainers and
 * their paths (retention.h), the GC tables (gc.h, gc_weak.h).
 *
 * Lifetime and ownership: a growth_result belongs to the analysis that made
 * it (analysis.c, reachable as model->growth, NULL when no growth analysis
 * ran) and is freed with it; every pointer inside it (stacks, paths, the
 * model) points into the same analysis and lives as long. The strings and
 * series a finding holds are owned by the result. A gate_result borrows its
 * rule and its site and lives as long as the caller's rules and analyses.
 *
 * Units: "x units" are marks when growth_result.per_mark, else seconds.
 * Slopes are bytes per x unit (per mark, per second); a slope that does
 * not apply is NAN. Everything is deterministic for a given log.
 */
#ifndef HT_FINDINGS_H
#define HT_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct model;
struct model_stack;
struct retention_path;

/* ================================================================ growth */

/* What a finding is about (JSON "by"). */
enum growth_by {
    GROWTH_BY_SITE,     /* one allocation site (its stack) */
    GROWTH_BY_FUNCTION, /* every site whose innermost frame is one function, summed */
    GROWTH_BY_OWNER,    /* one owner group: handles of a kind (iconv_open, fopen...) */
    GROWTH_BY_RETAINER, /* what one site retains in the heap snapshots */
};

/* What a finding rests on (docs/REPORT.md, "evidence"). */
enum growth_evidence {
    GROWTH_EV_TREND, /* the series rises: the trend test of growth.h */
    GROWTH_EV_KEPT,  /* blocks that accumulate: growth_finding.kept */
    GROWTH_EV_BLOCK, /* memory growing inside its blocks: growth_finding.block */
};

/*
 * Kept blocks of one site (growth.h, "Kept blocks", has the test): blocks
 * created after the warm-up, still live at the last point and older than any
 * block the site ever freed.
 */
struct growth_kept {
    uint64_t blocks;          /* how many were kept */
    uint64_t bytes;           /* their sizes summed */
    uint64_t events;          /* sample intervals in which at least one was created */
    double oldest_age;        /* x units from the oldest kept block to the last point */
    double youngest_age;      /* the same for the youngest */
    double longest_freed_age; /* x units the longest-lived freed block lived; 0: none freed */
    double record_p;          /* P(a steady high-water mark rises `events` times) */
    double spread_p;          /* min of the Kolmogorov-Smirnov and trailing-gap p's */
};

/*
 * Growth inside the blocks of one site (growth.h, "Growth inside blocks",
 * has the test): as many blocks as after the warm-up, each ever larger.
 */
struct growth_block {
    uint64_t blocks;      /* live blocks of the site at the last point */
    uint64_t first_bytes; /* mean block size after the warm-up */
    uint64_t last_bytes;  /* mean block size at the last point */
    uint32_t rises;       /* points where the mean size rose by more than 5% */
    double last_rise_at;  /* the last rise, as a share of the run (x / x at the end) */
    double record_p;      /* P(a buffer sized to the largest request rises that often) */
};

/* One growing series and why it counts as growth. */
struct growth_finding {
    enum growth_by by;
    /* the site; for an owner its opening site; for a function its site with
     * the most bytes at the last point. Never NULL; in the model. */
    const struct model_stack *stack;
    /* by function: its name; otherwise the innermost frame's name, "(no
     * stack)" without frames. Never NULL for growth_analyze's findings. */
    const char *function;
    const char *owner_kind; /* by owner: "iconv_open", "fopen"...; else NULL (static) */

    double slope_per_mark; /* bytes per mark; NAN when the samples are in time */
    double slope_per_s;    /* bytes per second (always) */
    double slope_lo, slope_hi; /* 95% CI of the primary slope (per mark or per s) */
    double p_value;        /* the evidence's p: Mann-Kendall (trend) or record_p */
    int64_t gained_bytes;  /* what it gained after the warm-up (kept: the kept bytes) */
    uint64_t last_bytes;   /* at the last sample */
    uint64_t projected_bytes_10x; /* last_bytes + the slope over 9 more runs */

    /* growth_add_retention, from the heap snapshots: */
    int reachable; /* 1 kept alive, 0 unreachable (leaked), -1 unknown */
    const struct retention_path *path; /* what keeps it alive, or NULL */
    /* of the site's reachable blocks in the largest snapshot (total), how
     * many `path`'s holder carries (retention.h, retention_holder); 0, 0
     * when the path is not a holder's */
    uint64_t holder_blocks, total_blocks;

    /* the series the finding was tested on: series_t[i] seconds after
     * series_t0_us (log time, microseconds) and series_y[i] bytes (or a
     * count, for retainers' tables); nseries points */
    double *series_t, *series_y;
    uint32_t nseries;
    uint64_t series_t0_us;

    enum growth_evidence evidence;
    uint32_t points;          /* sample points after the warm-up */
    bool has_kept, has_block; /* kept / block hold values */
    struct growth_kept kept;
    struct growth_block block;
    int32_t user_frame; /* index in stack->frames of the program's own first frame, or -1 */
};

/* Every growth finding of one process. */
struct growth_result {
    struct growth_finding *findings; /* sorted: gained bytes descending, then by, then key */
    size_t n;
    bool per_mark;     /* samples at the program's marks (else evenly in time) */
    uint32_t nsamples; /* sample points used */
    double warmup;     /* the share of the points ignored at the start */
    const struct model *model; /* the model analysed (paths' stacks are in it) */
    /* --ignore-startup: live bytes per stack id at the first mark, nstartup
     * entries; NULL without marks */
    uint64_t *startup_bytes;
    uint64_t nstartup;
};

/* ================================================================= gates */

/* A parsed `--fail-on` rule (gate.h has the grammar). */
enum gate_metric {
    GATE_LEAKED, GATE_LEAKED_BLOCKS, GATE_PEAK, GATE_RSS, GATE_GROWTH,
    GATE_OWNER_LIVE, GATE_OWNER_BYTES, GATE_NEW_GROWTH, GATE_LIVE_AT_EXIT,
    GATE_LIVE_AT_EXIT_BLOCKS,
};
enum gate_op { GATE_GT, GATE_GE, GATE_LT, GATE_LE };
enum gate_per { GATE_PER_NONE, GATE_PER_MARK, GATE_PER_S };

struct gate_rule {
    char *text;            /* as given on the command line */
    enum gate_metric metric;
    char owner_kind[32];   /* owner.KIND.*: KIND */
    enum gate_op op;
    double value;          /* bytes, a count, or a percent */
    bool relative;         /* "+X": against the same metric of --baseline */
    bool percent;          /* "+N%" */
    enum gate_per per;     /* growth: compares slopes (per mark, per s), else gains */
};

/* Why a rule cannot apply to the log (exit HT_EXIT_USAGE). */
enum gate_error {
    GATE_ERROR_NONE,
    GATE_ERROR_NO_BASELINE, /* a relative rule or new-growth without --baseline */
    GATE_ERROR_NO_MARKS,    /* growth per mark on a log with fewer than min_marks marks */
};

/*
 * The verdict on one rule: the numbers it compared and the site it names.
 * report_gate.c turns it into the "heaptrace-report: gate failed: ..."
 * lines, GitHub annotations and JUnit XML.
 */
struct gate_result {
    const struct gate_rule *rule;
    bool failed;           /* the rule's condition holds: the gate fails */
    enum gate_error error; /* GATE_ERROR_NONE, or why the rule cannot apply */
    uint32_t min_marks;    /* GATE_ERROR_NO_MARKS: the marks a per-mark rule needs */

    /*
     * growth: the worst finding's slope (per mark or per s) or gain over the
     * limit (unset when none is over it); new-growth: the first new
     * finding's slope (per mark when per_mark, else per s); every other
     * metric: its value in the log (summed over a process tree).
     */
    double value;
    double limit;          /* what value was compared with (baseline applied) */
    double base_value;     /* relative rules: the metric in the baseline */
    /* growth: findings over the limit; new-growth: findings not in the
     * baseline; 0 when the rule passed */
    size_t count;
    bool per_mark;         /* new-growth: value is per mark (else per second) */
    bool owner;            /* growth: the worst finding is an owner's */
    /* leaked, leaked.blocks: memcheck's "lost" (every process has an exit
     * snapshot), else what was live at the end */
    bool lost;

    /* The site the verdict names: for growth the finding's stack, for a
     * metric its largest site (an owner metric: the owner that opened most);
     * NULL when none. label: the finding's function, or NULL (the writer
     * names the program's own frame of site). */
    const struct model_stack *site;
    const char *label;
};

#endif /* HT_FINDINGS_H */
