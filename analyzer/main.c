/* SPDX-License-Identifier: MIT */
/*
 * main.c - heaptrace-report's command line: options, which reports to
 * write, and exit codes (0 ok, 2 usage or unreadable/corrupt input,
 * 3 internal error; 1 is reserved for a future --fail-on). All analysis
 * lives in ht_analyzer; this file only wires it together.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "gate.h"
#include "growth.h"
#include "suppress.h"
#include "report.h"
#include "report_dump.h"
#include "report_extra.h"
#include "exitcode.h"

static const char usage_text[] =
    "usage: heaptrace-report [options] LOG\n"
    "       heaptrace-report --dump LOG\n"
    "       heaptrace-report --diff A B [options]\n"
    "\n"
    "  --json               JSON report on stdout instead of text\n"
    "  --full               text: every section, finding and frame (default: the verdict,\n"
    "                       the suspects and the evidence, system code's one-time blocks\n"
    "                       folded, stacks cut below main)\n"
    "  --frames N           text: at most N frames per stack\n"
    "  --top N              entries per list (text default 5, 10 with --full; JSON all)\n"
    "  --from T, --to T     analyze only [T1, T2] (10s, 500ms, 250us, 1.5m; default seconds)\n"
    "  --pid N[:PROGRAM]    report the process N of the log's process tree (the image\n"
    "                       running PROGRAM, when N exec'd)\n"
    "  --program NAME       report the process whose program's name starts with NAME\n"
    "  --no-children        do not look for child processes' logs\n"
    "  --flamegraph FILE    folded stacks for flamegraph.pl / speedscope / inferno\n"
    "  --metric M           flame graph metric: peak, leaked, allocations, bytes, temporary\n"
    "  --massif FILE        valgrind massif.out file for ms_print / massif-visualizer\n"
    "  --html FILE          a self-contained HTML report (opens offline in a browser)\n"
    "  --pprof FILE         a gzipped pprof profile for go tool pprof, Pyroscope, Parca\n"
    "                       (every process of the tree unless --pid; docs/PPROF.md)\n"
    "                       (--flamegraph, --massif, --html, --pprof and --junit write their files\n"
    "                       and no text report; add --json for the JSON one too)\n"
    "  --diff A B           compare two logs site by site (growth of peak and leaked)\n"
    "  --sysroot DIR        look for the traced modules under DIR\n"
    "  --debug-dir DIR      extra directory of separate debug files (build-id tree)\n"
    "  --no-symbols         do not read debug info (module+offset only)\n"
    "  --no-addresses       text: omit addresses and times (stable output for tests)\n"
    "  --color WHEN         auto (default), always, never; NO_COLOR disables auto\n"
    "  --dump               print every record, one per line\n"
    "\n"
    "growth and CI gates (docs/CI.md):\n"
    "  --fail-on RULE       exit 1 when RULE holds: 'leaked > 0', 'growth > 4KiB/mark',\n"
    "                       'peak > 200MiB', 'owner.iconv_open.live > 1000', 'new-growth',\n"
    "                       'peak > +10%' (with --baseline); repeatable\n"
    "  --baseline LOG       the log relative rules and new-growth compare with\n"
    "  --junit FILE         JUnit XML of the rules (one testcase per rule)\n"
    "  --annotate github    failed rules as GitHub Actions ::error lines on stdout\n"
    "  --suppress FILE      fun:/obj:/src:/leak: glob patterns; matching sites are ignored\n"
    "  --ignore-startup     blocks live at the first mark do not count as leaked\n"
    "  --warmup F           fraction of the run growth detection ignores (default 0.2)\n"
    "  -h, --help           this help\n"
    "  -V, --version        the version\n";

/* A usage error: one line saying what is wrong, one pointing at --help. */
__attribute__((format(printf, 1, 2))) static int die_usage(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "heaptrace-report: error: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fputs("see 'heaptrace-report --help'\n", stderr);
    return HT_EXIT_USAGE;
}

/* "10s", "500ms", "250us", "1.5m", "3" (seconds) -> microseconds. */
static int parse_time(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    double mult = 1e6;
    if (strcmp(end, "ms") == 0)
        mult = 1e3;
    else if (strcmp(end, "us") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60e6;
    else if (strcmp(end, "h") == 0)
        mult = 3600e6;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    if (v * mult >= 1.8e19)
        return -1;
    *out = (uint64_t)(v * mult);
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int run_dump(const char *path)
{
    struct ht_reader *r;
    if (ht_reader_open(&r, path) != 0) {
        analysis_reader_error(path, r);
        ht_reader_close(r);
        return HT_EXIT_USAGE;
    }
    int rc = dump_write(r, stdout);
    if (rc < 0)
        analysis_reader_error(path, r);
    ht_reader_close(r);
    return rc < 0 ? HT_EXIT_INPUT : HT_EXIT_OK;
}

enum {
    OPT_DUMP = 256, OPT_JSON, OPT_TOP, OPT_FROM, OPT_TO, OPT_PID, OPT_FLAME, OPT_METRIC,
    OPT_MASSIF, OPT_DIFF, OPT_SYSROOT, OPT_DEBUG_DIR, OPT_NO_SYMBOLS, OPT_NO_ADDRESSES,
    OPT_COLOR, OPT_NO_CHILDREN, OPT_FAIL_ON, OPT_BASELINE, OPT_JUNIT, OPT_ANNOTATE,
    OPT_SUPPRESS, OPT_IGNORE_STARTUP, OPT_WARMUP, OPT_HTML, OPT_FULL, OPT_FRAMES, OPT_PROGRAM,
    OPT_PPROF,
};

struct cli {
    struct analysis_opts a;
    struct report_opts r;
    bool dump, json, diff, color_set;
    const char *flame, *massif, *metric, *html, *pprof;
    struct growth_opts growth;
    struct gate_rule *rules;
    size_t nrules;
    const char *baseline, *junit, *suppress;
    bool annotate_github, rule_error;
    const char *argv_opt; /* the option being parsed, for messages */
};

/* --fail-on: a rule that does not parse is a usage error naming the column. */
static int add_rule(struct cli *c, const char *text)
{
    char err[512];
    c->rules = realloc(c->rules, (c->nrules + 1) * sizeof(*c->rules));
    if (!c->rules) {
        fputs("heaptrace-report: error: out of memory\n", stderr);
        exit(HT_EXIT_INTERNAL);
    }
    if (gate_parse(text, &c->rules[c->nrules], err, sizeof(err))) {
        fprintf(stderr, "heaptrace-report: error: %s\n", err);
        c->rule_error = true;
        return HT_EXIT_USAGE;
    }
    c->nrules++;
    return 0;
}

static int parse_option(struct cli *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_DUMP: c->dump = true; return 0;
    case OPT_JSON: c->json = true; return 0;
    case OPT_DIFF: c->diff = true; return 0;
    case OPT_NO_SYMBOLS: c->a.no_symbols = true; return 0;
    case OPT_NO_ADDRESSES: c->r.no_addresses = true; return 0;
    case OPT_NO_CHILDREN: c->a.no_children = true; return 0;
    case OPT_FLAME: c->flame = arg; return 0;
    case OPT_MASSIF: c->massif = arg; return 0;
    case OPT_HTML: /* the page shows the dominator tree */
        c->html = arg;
        c->a.replay.domtree = true;
        return 0;
    case OPT_PPROF: c->pprof = arg; return 0;
    case OPT_SYSROOT: c->a.sym.sysroot = arg; return 0;
    case OPT_DEBUG_DIR: c->a.sym.debug_dir = arg; return 0;
    case OPT_METRIC:
        c->metric = arg;
        return flame_metric_parse(arg) < 0 ? die_usage("unknown metric '%s'", arg) : 0;
    case OPT_TOP:
        return parse_u64(arg, &c->r.top) ? die_usage("invalid number '%s' for --top", arg) : 0;
    case OPT_FULL: c->r.full = true; return 0;
    case OPT_FRAMES: {
        uint64_t n;
        if (parse_u64(arg, &n) || n == 0 || n > UINT32_MAX)
            return die_usage("invalid number '%s' for --frames", arg);
        c->r.frames = (uint32_t)n;
        return 0;
    }
    case OPT_PID:
        c->a.has_pid = true;
        if (strchr(arg, ':')) { /* PID:PROGRAM: one image of a pid that exec'd */
            char num[32];
            size_t n = (size_t)(strchr(arg, ':') - arg);
            if (n >= sizeof(num) || !arg[n + 1])
                return die_usage("invalid --pid '%s' (PID or PID:PROGRAM)", arg);
            memcpy(num, arg, n);
            num[n] = '\0';
            c->a.program = arg + n + 1;
            return parse_u64(num, &c->a.pid) ? die_usage("invalid pid '%s'", arg) : 0;
        }
        return parse_u64(arg, &c->a.pid) ? die_usage("invalid pid '%s'", arg) : 0;
    case OPT_PROGRAM: c->a.program = arg; return 0;
    case OPT_FROM:
        return parse_time(arg, &c->a.replay.from_us) ? die_usage("invalid time '%s'", arg) : 0;
    case OPT_TO:
        return parse_time(arg, &c->a.replay.to_us) ? die_usage("invalid time '%s'", arg) : 0;
    case OPT_COLOR:
        c->color_set = true;
        if (strcmp(arg, "always") == 0)
            c->r.color = true;
        else if (strcmp(arg, "never") == 0)
            c->r.color = false;
        else if (strcmp(arg, "auto") == 0)
            c->color_set = false;
        else
            return die_usage("invalid --color '%s' (auto, always, never)", arg);
        return 0;
    case OPT_FAIL_ON: return add_rule(c, arg);
    case OPT_BASELINE: c->baseline = arg; return 0;
    case OPT_JUNIT: c->junit = arg; return 0;
    case OPT_SUPPRESS: c->suppress = arg; return 0;
    case OPT_IGNORE_STARTUP: c->growth.ignore_startup = true; return 0;
    case OPT_ANNOTATE:
        if (strcmp(arg, "github") != 0)
            return die_usage("invalid --annotate '%s' (github)", arg);
        c->annotate_github = true;
        return 0;
    case OPT_WARMUP: {
        char *end;
        double w = strtod(arg, &end);
        if (end == arg || *end || !(w >= 0 && w < 0.9))
            return die_usage("invalid --warmup '%s' (a fraction in [0, 0.9))", arg);
        c->growth.warmup = w;
        return 0;
    }
    case 'h': fputs(usage_text, stdout); exit(HT_EXIT_OK);
    case 'V': printf("heaptrace-report %s\n", HT_VERSION); exit(HT_EXIT_OK);
    case ':': return die_usage("option '%s' needs a value", c->argv_opt);
    default: return die_usage("unknown option '%s'", c->argv_opt);
    }
}

/* Evaluates --fail-on rules on m (and --baseline). Without --pid, `leaked`
 * and `live_at_exit` sum over the process tree, the baseline's too.
 * @return HT_EXIT_OK, HT_EXIT_FINDING or HT_EXIT_USAGE (a rule that cannot apply). */
static int run_gates(const struct cli *c, const struct analysis_tree *tree)
{
    const struct model *m = analysis_tree_selected(tree);
    struct analysis_tree *base = NULL;
    struct gate_input in = {.m = m, .supp = c->growth.supp,
                            .ignore_startup = c->growth.ignore_startup};
    if (tree->show_all) {
        in.procs = tree->models;
        in.nprocs = tree->n;
    }
    if (c->baseline) {
        struct analysis_opts bo = c->a;
        bo.no_children = c->a.no_children || c->a.has_pid || c->a.program;
        bo.has_pid = false;
        bo.program = NULL;
        int rc = analysis_tree_load(&base, c->baseline, &bo);
        if (rc) {
            analysis_tree_free(base);
            return rc;
        }
        in.base = analysis_tree_selected(base);
        if (tree->show_all) {
            in.base_procs = base->models;
            in.nbase_procs = base->n;
        }
    }
    struct gate_result *res = calloc(c->nrules, sizeof(*res));
    if (!res) {
        analysis_tree_free(base);
        return HT_EXIT_INTERNAL;
    }
    int rc = gate_eval(c->rules, c->nrules, &in, res);
    report_gate_lines(res, c->nrules, stderr);
    if (c->annotate_github)
        report_gate_github(res, c->nrules, stdout);
    if (c->junit) {
        int jrc = report_gate_junit(res, c->nrules, m, c->junit);
        if (jrc && rc != HT_EXIT_USAGE)
            rc = jrc;
    }
    free(res);
    analysis_tree_free(base);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dump", no_argument, NULL, OPT_DUMP},
        {"json", no_argument, NULL, OPT_JSON},
        {"top", required_argument, NULL, OPT_TOP},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"pid", required_argument, NULL, OPT_PID},
        {"flamegraph", required_argument, NULL, OPT_FLAME},
        {"metric", required_argument, NULL, OPT_METRIC},
        {"massif", required_argument, NULL, OPT_MASSIF},
        {"html", required_argument, NULL, OPT_HTML},
        {"pprof", required_argument, NULL, OPT_PPROF},
        {"diff", no_argument, NULL, OPT_DIFF},
        {"sysroot", required_argument, NULL, OPT_SYSROOT},
        {"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
        {"no-symbols", no_argument, NULL, OPT_NO_SYMBOLS},
        {"no-addresses", no_argument, NULL, OPT_NO_ADDRESSES},
        {"no-children", no_argument, NULL, OPT_NO_CHILDREN},
        {"color", required_argument, NULL, OPT_COLOR},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"annotate", required_argument, NULL, OPT_ANNOTATE},
        {"suppress", required_argument, NULL, OPT_SUPPRESS},
        {"ignore-startup", no_argument, NULL, OPT_IGNORE_STARTUP},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"full", no_argument, NULL, OPT_FULL},
        {"frames", required_argument, NULL, OPT_FRAMES},
        {"program", required_argument, NULL, OPT_PROGRAM},
        {NULL, 0, NULL, 0},
    };
    struct cli c = {.a.replay.to_us = UINT64_MAX, .growth.warmup = 0.2};
    int opt;
    opterr = 0; /* our own one-line messages */
    while ((opt = getopt_long(argc, argv, ":hV", opts, NULL)) != -1) {
        c.argv_opt = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        if (parse_option(&c, opt, optarg)) {
            free(c.rules); /* rules parsed so far (LeakSanitizer runs our tests) */
            return HT_EXIT_USAGE;
        }
    }
    c.a.growth = &c.growth;
    struct suppressions *supp = NULL;
    if (c.suppress) {
        char err[512];
        if (!(supp = supp_load(c.suppress, err, sizeof(err)))) {
            fprintf(stderr, "heaptrace-report: error: %s\n", err);
            free(c.rules);
            return HT_EXIT_USAGE;
        }
        c.growth.supp = supp;
    }
    if (gate_needs_baseline(c.rules, c.nrules) && !c.baseline)
        return die_usage("--fail-on 'new-growth' and relative limits (+10%%) need --baseline LOG");
    if (!c.color_set)
        c.r.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    if (c.a.replay.from_us > c.a.replay.to_us)
        return die_usage("--from is after --to");
    int nfiles = argc - optind;
    if (c.diff) {
        if (nfiles != 2)
            return die_usage("--diff needs two logs");
        return diff_run(argv[optind], argv[optind + 1], &c.a, &c.r, c.json, stdout);
    }
    if (nfiles != 1)
        return die_usage(nfiles ? "expected one log file, got %d" : "no log file given",
                         nfiles);
    const char *path = argv[optind];
    if (c.dump)
        return run_dump(path);

    struct analysis_tree *tree;
    int rc = analysis_tree_load(&tree, path, &c.a);
    if (rc)
        goto out;
    struct model *m = analysis_tree_selected(tree);
    if (c.flame && (rc = flame_write_file(m, flame_metric_parse(c.metric ? c.metric : "peak"),
                                          c.flame)))
        goto out;
    if (c.massif && (rc = massif_write_file(m, c.massif)))
        goto out;
    if (c.html && (rc = html_write_file(tree->models, tree->n, tree->selected, c.html)))
        goto out;
    if (c.pprof && (rc = pprof_write_file(tree->show_all ? tree->models : &m,
                                          tree->show_all ? tree->n : 1, c.pprof)))
        goto out;
    /* the file outputs stand on their own: no text report unless asked */
    bool files_only = (c.flame || c.massif || c.html || c.pprof || c.junit) && !c.json;
    if (c.json)
        report_tree_json(tree, &c.r, stdout);
    else if (!files_only)
        report_tree_text(tree, &c.r, stdout);
    if (c.nrules)
        rc = run_gates(&c, tree);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "heaptrace-report: error: cannot write the report: %s\n", strerror(errno));
        rc = HT_EXIT_INTERNAL;
    }
out:
    analysis_tree_free(tree);
    for (size_t i = 0; i < c.nrules; i++)
        gate_rule_release(&c.rules[i]);
    free(c.rules);
    supp_free(supp);
    return rc;
}
