/* SPDX-License-Identifier: MIT */
/* gate.c - see gate.h. Sections: parsing, evaluation. report_gate.c writes
 * the verdicts. */
#include "gate.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leaks.h"
#include "names.h"
#include "suppress.h"
#include "xalloc.h"

/* ----------------------------------------------------------------- parsing */

struct cursor {
    const char *s, *p;
    char *err;
    size_t errlen;
};

static void skip_ws(struct cursor *c)
{
    while (*c->p == ' ' || *c->p == '\t')
        c->p++;
}

static int fail_at(struct cursor *c, const char *what)
{
    int col = (int)(c->p - c->s) + 1;
    if (*c->p)
        snprintf(c->err, c->errlen, "cannot parse rule '%s': unexpected '%c' at column %d%s%s",
                 c->s, *c->p, col, what ? ", expected " : "", what ? what : "");
    else
        snprintf(c->err, c->errlen, "cannot parse rule '%s': unexpected end at column %d%s%s",
                 c->s, col, what ? ", expected " : "", what ? what : "");
    return -1;
}

static bool eat(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static int parse_metric(struct cursor *c, struct gate_rule *r)
{
    if (eat(c, "owner.")) {
        size_t n = 0;
        while (isalnum((unsigned char)c->p[n]) || c->p[n] == '_')
            n++;
        if (n == 0 || n >= sizeof(r->owner_kind))
            return fail_at(c, "an owner kind (iconv_open, fopen, opendir, regcomp, newlocale, thread)");
        memcpy(r->owner_kind, c->p, n);
        r->owner_kind[n] = '\0';
        c->p += n;
        if (eat(c, ".live"))
            r->metric = GATE_OWNER_LIVE;
        else if (eat(c, ".bytes"))
            r->metric = GATE_OWNER_BYTES;
        else
            return fail_at(c, "'.live' or '.bytes'");
        return 0;
    }
    if (eat(c, "live_at_exit.blocks"))
        r->metric = GATE_LIVE_AT_EXIT_BLOCKS;
    else if (eat(c, "live_at_exit"))
        r->metric = GATE_LIVE_AT_EXIT;
    else if (eat(c, "leaked.blocks"))
        r->metric = GATE_LEAKED_BLOCKS;
    else if (eat(c, "leaked"))
        r->metric = GATE_LEAKED;
    else if (eat(c, "peak"))
        r->metric = GATE_PEAK;
    else if (eat(c, "rss"))
        r->metric = GATE_RSS;
    else if (eat(c, "growth"))
        r->metric = GATE_GROWTH;
    else
        return fail_at(c, "leaked, leaked.blocks, live_at_exit, live_at_exit.blocks, peak, rss, "
                          "growth, owner.KIND.live, owner.KIND.bytes or new-growth");
    return 0;
}

static int parse_value(struct cursor *c, struct gate_rule *r)
{
    if (*c->p == '+') {
        r->relative = true;
        c->p++;
    }
    if (!isdigit((unsigned char)*c->p) && *c->p != '.')
        return fail_at(c, "a number");
    char *end;
    errno = 0;
    double v = strtod(c->p, &end);
    if (errno || end == c->p)
        return fail_at(c, "a number");
    c->p = end;
    skip_ws(c);
    static const struct {
        const char *name;
        double mult;
    } units[] = {{"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"KB", 1e3},
                 {"MB", 1e6}, {"GB", 1e9}, {"B", 1}, {"%", 1}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (eat(c, units[i].name)) {
            v *= units[i].mult;
            r->percent = units[i].name[0] == '%';
            break;
        }
    if (r->percent && !r->relative) {
        c->p--;
        return fail_at(c, "'+' before a percentage (relative to --baseline)");
    }
    skip_ws(c);
    if (*c->p == '/') {
        c->p++;
        skip_ws(c);
        if (eat(c, "mark"))
            r->per = GATE_PER_MARK;
        else if (eat(c, "s"))
            r->per = GATE_PER_S;
        else
            return fail_at(c, "'mark' or 's'");
        if (r->metric != GATE_GROWTH) {
            snprintf(c->err, c->errlen, "cannot parse rule '%s': only growth has a rate (/mark, /s)",
                     c->s);
            return -1;
        }
    }
    r->value = v;
    return 0;
}

int gate_parse(const char *text, struct gate_rule *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    struct cursor c = {text, text, err, errlen};
    skip_ws(&c);
    if (eat(&c, "new-growth")) {
        r->metric = GATE_NEW_GROWTH;
    } else {
        if (parse_metric(&c, r))
            return -1;
        skip_ws(&c);
        if (eat(&c, ">="))
            r->op = GATE_GE;
        else if (eat(&c, ">"))
            r->op = GATE_GT;
        else if (eat(&c, "<="))
            r->op = GATE_LE;
        else if (eat(&c, "<"))
            r->op = GATE_LT;
        else
            return fail_at(&c, "'>', '>=', '<' or '<='");
        skip_ws(&c);
        if (parse_value(&c, r))
            return -1;
    }
    skip_ws(&c);
    if (*c.p)
        return fail_at(&c, NULL);
    r->text = xstrdup(text);
    return 0;
}

void gate_rule_release(struct gate_rule *r)
{
    free(r->text);
    r->text = NULL;
}

bool gate_needs_baseline(const struct gate_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rules[i].relative || rules[i].metric == GATE_NEW_GROWTH)
            return true;
    return false;
}

/* -------------------------------------------------------------- evaluation */

struct measure {
    double value;
    const struct model_stack *site; /* the site that says most, or NULL */
    const char *label;              /* function or owner kind */
};

static bool suppressed(const struct gate_input *in, const struct model_stack *st)
{
    return in->supp && supp_match_stack(in->supp, st);
}

static uint64_t startup_of(const struct model *m, uint64_t stack_id)
{
    const struct growth_result *g = m->growth;
    return g && g->startup_bytes && stack_id < g->nstartup ? g->startup_bytes[stack_id] : 0;
}

static struct measure measure_sites(const struct gate_input *in, const struct model *m,
                                    enum gate_metric metric)
{
    struct measure r = {0};
    double best = -1;
    for (uint64_t i = 0; i < m->nsites; i++) {
        const struct model_site *s = &m->sites[i];
        if (suppressed(in, &s->stack))
            continue;
        double v;
        if (metric == GATE_LIVE_AT_EXIT) {
            uint64_t live = s->st->live_bytes, st = in->ignore_startup ? startup_of(m, s->stack_id) : 0;
            v = live > st ? (double)(live - st) : 0;
        } else if (metric == GATE_LIVE_AT_EXIT_BLOCKS) {
            v = (double)s->st->live_blocks;
        } else {
            v = (double)s->st->at_peak_bytes;
        }
        r.value += v;
        if (v > best) {
            best = v;
            r.site = v > 0 ? &s->stack : NULL;
        }
    }
    return r;
}

/* memcheck's "lost" at the exit snapshot, per site of the two lost classes */
static struct measure measure_lost(const struct gate_input *in, const struct model *m,
                                   bool blocks)
{
    struct measure r = {0};
    double best = -1;
    const struct leaks *l = m->leaks;
    for (int c = LEAK_DEFINITELY; c <= LEAK_INDIRECTLY; c++) {
        for (size_t i = 0; i < l->cls[c].nsites; i++) {
            const struct leak_site *ls = &l->cls[c].sites[i];
            const struct model_stack *st = model_stack_of(m, ls->stack_id);
            if (st && suppressed(in, st))
                continue;
            uint64_t skip = in->ignore_startup && !blocks ? startup_of(m, ls->stack_id) : 0;
            double v = blocks ? (double)ls->blocks
                              : ls->bytes > skip ? (double)(ls->bytes - skip) : 0;
            r.value += v;
            if (v > best) {
                best = v;
                r.site = v > 0 ? st : NULL;
            }
        }
    }
    return r;
}

/* `leaked` and `live_at_exit` of one process (model_leaked says which) */
static struct measure measure_leaked_one(const struct gate_input *in, const struct model *m,
                                         enum gate_metric metric)
{
    if (m->rp->tot.exec_replaced)
        return (struct measure){0};
    bool blocks = metric == GATE_LEAKED_BLOCKS || metric == GATE_LIVE_AT_EXIT_BLOCKS;
    if ((metric == GATE_LEAKED || metric == GATE_LEAKED_BLOCKS) && model_has_exit_snapshot(m))
        return measure_lost(in, m, blocks);
    return measure_sites(in, m, blocks ? GATE_LIVE_AT_EXIT_BLOCKS : GATE_LIVE_AT_EXIT);
}

/* ... summed over a process tree, the largest site of any process named */
static struct measure measure_leaked(const struct gate_input *in, const struct model *m,
                                     struct model *const *procs, size_t nprocs,
                                     enum gate_metric metric)
{
    if (!procs)
        return measure_leaked_one(in, m, metric);
    struct measure r = {0};
    double best = -1;
    for (size_t i = 0; i < nprocs; i++) {
        struct measure one = measure_leaked_one(in, procs[i], metric);
        r.value += one.value;
        if (one.site && one.value > best) { /* the process with most: its site */
            best = one.value;
            r.site = one.site;
        }
    }
    return r;
}

/* peak minus the suppressed sites' share of it */
static struct measure measure_peak(const struct gate_input *in, const struct model *m)
{
    struct measure r = measure_sites(in, m, GATE_PEAK);
    double supp = 0;
    for (uint64_t i = 0; in->supp && i < m->nsites; i++)
        if (suppressed(in, &m->sites[i].stack))
            supp += (double)m->sites[i].st->at_peak_bytes;
    r.value = (double)m->rp->tot.peak_bytes - supp;
    return r;
}

static struct measure measure_owner(const struct gate_input *in, const struct model *m,
                                    const struct gate_rule *rule)
{
    struct measure r = {0};
    double best = -1;
    for (uint64_t i = 0; i < m->nowners; i++) {
        const struct replay_owner_group *g = m->owners[i].g;
        if (strcmp(names_owner_kind(g->kind), rule->owner_kind) != 0 ||
            suppressed(in, &m->owners[i].stack))
            continue;
        double v = rule->metric == GATE_OWNER_LIVE ? (double)g->live_handles : (double)g->bytes;
        r.value += v;
        if (v > best) {
            best = v;
            r.site = &m->owners[i].stack;
        }
    }
    return r;
}

static struct measure measure(const struct gate_input *in, const struct model *m,
                              const struct gate_rule *rule)
{
    bool base = m == in->base;
    switch (rule->metric) {
    case GATE_LEAKED:
    case GATE_LEAKED_BLOCKS:
    case GATE_LIVE_AT_EXIT:
    case GATE_LIVE_AT_EXIT_BLOCKS:
        return measure_leaked(in, m, base ? in->base_procs : in->procs,
                              base ? in->nbase_procs : in->nprocs, rule->metric);
    case GATE_PEAK: return measure_peak(in, m);
    case GATE_RSS: return (struct measure){.value = (double)m->rp->tot.peak_rss};
    case GATE_OWNER_LIVE:
    case GATE_OWNER_BYTES: return measure_owner(in, m, rule);
    default: return (struct measure){0};
    }
}

static bool compare(double v, enum gate_op op, double limit)
{
    switch (op) {
    case GATE_GT: return v > limit;
    case GATE_GE: return v >= limit;
    case GATE_LT: return v < limit;
    case GATE_LE: return v <= limit;
    }
    return false;
}

/* Whether `leaked` of the log means memcheck's "lost": an exit snapshot in
 * the process (or, for a tree, in every process that ended). */
static bool leaked_is_lost(const struct gate_input *in)
{
    if (!in->procs)
        return model_has_exit_snapshot(in->m);
    for (size_t i = 0; i < in->nprocs; i++)
        if (!in->procs[i]->rp->tot.exec_replaced && !model_has_exit_snapshot(in->procs[i]))
            return false;
    return true;
}

static bool finding_is_primary(const struct growth_finding *f)
{
    return f->by == GROWTH_BY_SITE || f->by == GROWTH_BY_OWNER;
}

static void eval_growth(const struct gate_rule *rule, const struct gate_input *in,
                        struct gate_result *res)
{
    const struct growth_result *g = in->m->growth;
    res->limit = rule->value;
    if (rule->per == GATE_PER_MARK && !(g && g->per_mark)) {
        res->error = GATE_ERROR_NO_MARKS;
        res->min_marks = GROWTH_MIN_MARKS;
        return;
    }
    const struct growth_finding *worst = NULL;
    double worst_v = 0;
    size_t nfail = 0;
    for (size_t i = 0; g && i < g->n; i++) {
        const struct growth_finding *f = &g->findings[i];
        if (!finding_is_primary(f) || suppressed(in, f->stack))
            continue;
        double v = rule->per == GATE_PER_MARK ? f->slope_per_mark
                   : rule->per == GATE_PER_S  ? f->slope_per_s
                                              : (double)f->gained_bytes;
        if (!compare(v, rule->op, rule->value))
            continue;
        nfail++;
        if (!worst || v > worst_v) {
            worst = f;
            worst_v = v;
        }
    }
    if (!worst)
        return;
    res->failed = true;
    res->value = worst_v;
    res->count = nfail;
    res->owner = worst->by == GROWTH_BY_OWNER;
    res->site = worst->stack;
    res->label = worst->function;
}

static bool growth_key_in(const struct growth_result *g, const struct growth_finding *f)
{
    for (size_t i = 0; g && i < g->n; i++)
        if (g->findings[i].by == f->by && strcmp(g->findings[i].stack->key, f->stack->key) == 0)
            return true;
    return false;
}

static void eval_new_growth(const struct gate_input *in, struct gate_result *res)
{
    const struct growth_result *g = in->m->growth;
    const struct growth_finding *first = NULL;
    size_t nnew = 0;
    for (size_t i = 0; g && i < g->n; i++) {
        const struct growth_finding *f = &g->findings[i];
        if (!finding_is_primary(f) || suppressed(in, f->stack) || growth_key_in(in->base->growth, f))
            continue;
        if (!first)
            first = f;
        nnew++;
    }
    if (!first)
        return;
    res->failed = true;
    res->count = nnew;
    res->per_mark = g->per_mark;
    res->value = g->per_mark ? first->slope_per_mark : first->slope_per_s;
    res->site = first->stack;
    res->label = first->function;
}

static void eval_one(const struct gate_rule *rule, const struct gate_input *in,
                     struct gate_result *res)
{
    memset(res, 0, sizeof(*res));
    res->rule = rule;
    if ((rule->relative || rule->metric == GATE_NEW_GROWTH) && !in->base) {
        res->error = GATE_ERROR_NO_BASELINE;
        return;
    }
    if (rule->metric == GATE_GROWTH) {
        eval_growth(rule, in, res);
        return;
    }
    if (rule->metric == GATE_NEW_GROWTH) {
        eval_new_growth(in, res);
        return;
    }
    struct measure v = measure(in, in->m, rule);
    res->value = v.value;
    res->limit = rule->value;
    if (rule->relative) {
        struct measure b = measure(in, in->base, rule);
        res->base_value = b.value;
        res->limit = rule->percent ? b.value * (1 + rule->value / 100) : b.value + rule->value;
    }
    if (!compare(v.value, rule->op, res->limit))
        return;
    res->failed = true;
    res->site = v.site;
    res->lost = leaked_is_lost(in);
}

int gate_eval(const struct gate_rule *rules, size_t n, const struct gate_input *in,
              struct gate_result *results)
{
    int rc = HT_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        eval_one(&rules[i], in, &results[i]);
        if (results[i].error)
            rc = HT_EXIT_USAGE;
        else if (results[i].failed && rc == HT_EXIT_OK)
            rc = HT_EXIT_FINDING;
    }
    return rc;
}
