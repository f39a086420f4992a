/* SPDX-License-Identifier: MIT */
/*
 * test_growth.c - the growth statistics against hand-computed values
 * (Mann-Kendall S, tie-corrected variance and p; Theil-Sen slope), the
 * detector on synthetic series (linear, steps, plateau, noise, sawtooth,
 * teardown-free), the table detectors' rule for few snapshots, and
 * --fail-on rule parsing with its messages; on a synthetic log, the kept
 * blocks of a slow leak and a buffer that doubles, beside a cache with
 * random replacement, lazy singletons and per-request temporaries.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "gate.h"
#include "growth.h"
#include "logbuild.h"
#include "stats.h"
#include "model.h"
#include "tables.h"

#define NEAR(a, b, eps) CHECK(fabs((a) - (b)) <= (eps))

static void test_mann_kendall(void)
{
    struct stats_mk mk;
    const double inc[] = {1, 2, 3, 4, 5};
    stats_mann_kendall(inc, 5, &mk);
    NEAR(mk.s, 10, 0);
    NEAR(mk.var_s, 300.0 / 18, 1e-9);           /* n(n-1)(2n+5)/18 */
    NEAR(mk.z, 9 / sqrt(300.0 / 18), 1e-9);     /* (S-1)/sqrt(var) */
    NEAR(mk.p, 0.013743, 1e-5);
    const double ties[] = {1, 1, 2, 2, 3};      /* two pairs of ties: 2 * 2*1*9 */
    stats_mann_kendall(ties, 5, &mk);
    NEAR(mk.s, 8, 0);
    NEAR(mk.var_s, (300.0 - 36) / 18, 1e-9);
    NEAR(mk.z, 7 / sqrt(264.0 / 18), 1e-9);
    const double dec[] = {5, 4, 3, 2, 1};
    stats_mann_kendall(dec, 5, &mk);
    NEAR(mk.s, -10, 0);
    CHECK(mk.p > 0.98);
    const double flat[] = {7, 7, 7, 7};
    stats_mann_kendall(flat, 4, &mk);
    NEAR(mk.var_s, 0, 0);
    NEAR(mk.p, 1, 0);
}

static void test_theil_sen(void)
{
    const double x[] = {0, 1, 2, 3, 4}, y[] = {0, 1, 2, 3, 100};
    double lo, hi;
    NEAR(stats_theil_sen(x, y, 5, &lo, &hi), 1, 0); /* the outlier does not move it */
    CHECK(lo <= 1 && hi >= 1);
    const double y2[] = {3, 5, 7, 9, 11};
    NEAR(stats_theil_sen(x, y2, 5, &lo, &hi), 2, 1e-12);
    NEAR(lo, 2, 1e-12);
    NEAR(hi, 2, 1e-12);
    const double x3[] = {0, 0, 1, 2}, y3[] = {0, 4, 2, 4}; /* equal x pairs are skipped */
    /* slopes: (0,2)=2 (0,4)=2 (4,2)=-2 (4,4)=0 (2,4)=2 -> median 2 */
    NEAR(stats_theil_sen(x3, y3, 4, NULL, NULL), 2, 1e-12);
    double v[] = {5, 1, 3, 2};
    NEAR(stats_median(v, 4), 2.5, 0);
}

#define N 200
static double xs[N], ys[N];

static uint64_t rng = 12345;
static double noise(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) / 9007199254740992.0 - 0.5; /* [-0.5, 0.5) */
}

static void series(int kind)
{
    for (int i = 0; i < N; i++) {
        xs[i] = i;
        double base = 100000, y;
        switch (kind) {
        case 0: y = base + 300.0 * i + 2000 * noise(); break;               /* linear */
        case 1: y = base + 5000.0 * (i / 10); break;                        /* steps */
        case 2: y = base + 800.0 * (i < 60 ? i : 60) + 500 * noise(); break; /* plateau */
        case 3: y = base + 20000 * noise(); break;                          /* noise */
        case 4: y = base + 2000.0 * (i % 40); break;                        /* sawtooth */
        default: y = base; break;                                           /* flat */
        }
        ys[i] = y;
    }
}

static void test_detect(void)
{
    struct growth_verdict v;
    series(0);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(v.growing);
    NEAR(v.slope, 300, 30);
    CHECK(v.p < 1e-10);
    CHECK(v.slope_lo <= v.slope && v.slope <= v.slope_hi);
    series(1);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(v.growing);
    NEAR(v.slope, 500, 60);
    series(2);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(!v.growing);
    series(3);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(!v.growing);
    series(4);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(!v.growing);
    series(5);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(!v.growing);
    /* a plateau reached in the warm-up only, then growth: growing */
    for (int i = 0; i < N; i++)
        ys[i] = 1000.0 * (i < 30 ? i : 30) + (i > 30 ? 400.0 * (i - 30) : 0);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(v.growing);
    /* growth that stops in the last third: a filled cache */
    for (int i = 0; i < N; i++)
        ys[i] = 500.0 * (i < 130 ? i : 130);
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(!v.growing);
    CHECK(v.plateau);
    /* a sawtooth with 3 to 4 teeth after the warm-up (160 points), ending at a
     * peak (its last drop is the run's end): its troughs stay put */
    for (int period = 41; period <= 53; period++) {
        for (int i = 0; i < N; i++)
            ys[i] = 100000 + 2000.0 * ((i - (N - 1) + period - 1 + 10 * period) % period);
        growth_detect(xs, ys, N, 0.2, &v);
        CHECK(!v.growing);
    }
    /* a bounded queue (linked_queue's correct variant under load): between
     * empty and full while the consumer keeps up, then nearly full, creeping
     * up. Its troughs rise and its last third is no plateau, but its
     * high-water mark was reached at the start: not growing */
    for (int i = 0; i < N; i++)
        ys[i] = i < 130 ? 200000 * (noise() + 0.5) : 185000 + 200.0 * (i - 130) + 1000 * noise();
    ys[50] = 205000;
    growth_detect(xs, ys, N, 0.2, &v);
    CHECK(!v.growing);
    /* too few points */
    growth_detect(xs, ys, 6, 0.2, &v);
    CHECK(!v.growing);
}

static void check_rule_error(const char *text, const char *msg)
{
    struct gate_rule r;
    char err[512] = "";
    CHECK(gate_parse(text, &r, err, sizeof(err)) == -1);
    CHECK_HAS(err, msg);
}

static void test_rules(void)
{
    struct gate_rule r;
    char err[512];
    CHECK(gate_parse("growth > 4KiB/mark", &r, err, sizeof(err)) == 0);
    CHECK(r.metric == GATE_GROWTH && r.op == GATE_GT && r.per == GATE_PER_MARK);
    NEAR(r.value, 4096, 0);
    gate_rule_release(&r);
    CHECK(gate_parse("growth>1.5MB/s", &r, err, sizeof(err)) == 0);
    CHECK(r.per == GATE_PER_S);
    NEAR(r.value, 1.5e6, 1e-6);
    gate_rule_release(&r);
    CHECK(gate_parse("leaked > 0", &r, err, sizeof(err)) == 0);
    CHECK(r.metric == GATE_LEAKED && r.value == 0 && !r.relative);
    gate_rule_release(&r);
    CHECK(gate_parse("peak >= 200MiB", &r, err, sizeof(err)) == 0);
    CHECK(r.metric == GATE_PEAK && r.op == GATE_GE);
    NEAR(r.value, 200.0 * 1048576, 0);
    gate_rule_release(&r);
    CHECK(gate_parse("owner.iconv_open.live > 1000", &r, err, sizeof(err)) == 0);
    CHECK(r.metric == GATE_OWNER_LIVE && strcmp(r.owner_kind, "iconv_open") == 0);
    gate_rule_release(&r);
    CHECK(gate_parse("peak > +10%", &r, err, sizeof(err)) == 0);
    CHECK(r.relative && r.percent && r.value == 10);
    gate_rule_release(&r);
    CHECK(gate_parse(" new-growth ", &r, err, sizeof(err)) == 0);
    CHECK(r.metric == GATE_NEW_GROWTH);
    CHECK(gate_needs_baseline(&r, 1));
    gate_rule_release(&r);
    CHECK(gate_parse("leaked.blocks < 3", &r, err, sizeof(err)) == 0);
    CHECK(r.metric == GATE_LEAKED_BLOCKS && r.op == GATE_LT);
    gate_rule_release(&r);

    check_rule_error("growth >> 4", "cannot parse rule 'growth >> 4': unexpected '>' at column 9");
    check_rule_error("peak > 10%", "'+' before a percentage");
    check_rule_error("leaked > 1KiB/mark", "only growth has a rate");
    check_rule_error("lekaed > 0", "unexpected 'l' at column 1");
    check_rule_error("owner.iconv_open.count > 1", "unexpected '.' at column 17");
    check_rule_error("peak > 10 XB", "unexpected 'X' at column 11");
    check_rule_error("peak >", "unexpected end at column 7");
    check_rule_error("growth > 4KiB/day", "expected 'mark' or 's'");
}

/* The dead-slot and chain detectors' rule for 4 to 9 snapshots: growth is
 * a rise at every step after the warm-up; a sawtooth caught by too few
 * snapshots, falling after the warm-up, is not (both series below came
 * from weak_table_server with bursts of vacuuming, snapshots every 20 ms). */
static void test_few_points(void)
{
    const double x[] = {0, 1, 2, 3, 4, 5};
    double slope;
    const double leak[] = {300, 900, 2100, 4000};
    CHECK(tables_grows(x, leak, 4, &slope) && slope > 0);
    const double noisy_warmup[] = {1000, 900, 2800, 5000}; /* a 10% dip from the warm-up */
    CHECK(tables_grows(x, noisy_warmup, 4, &slope));
    const double tooth[] = {3582, 1407, 4910, 4999};
    CHECK(!tables_grows(x, tooth, 4, &slope));
    const double tooth2[] = {2745, 257, 2467, 3592};
    CHECK(!tables_grows(x, tooth2, 4, &slope));
    const double stalls[] = {100, 300, 900, 900, 2800}; /* no rise at one step */
    CHECK(!tables_grows(x, stalls, 5, &slope));
    const double small[] = {100, 200, 400, 590}; /* less than three times the second */
    CHECK(!tables_grows(x, small, 4, &slope));
    CHECK(!tables_grows(x, leak, 3, &slope)); /* too few points */
}


/* Stack ids of the synthetic request loop below. */
enum { S_LEAK = 1, S_CACHE, S_SINGLE, S_BUFFER, S_TEMP };

/* 2,000 marked requests: a 100-entry cache with random replacement, a
 * temporary, 6 singletons at random requests, a buffer of 96 B a request
 * that doubles by realloc, and one 64 B block kept every 100 requests. */
static void build_loop(struct logbuild *b)
{
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 7, 1, "/bin/t", "/tmp/t.htrace", "");
    for (uint64_t s = S_LEAK; s <= S_TEMP; s++) {
        uint64_t ip = 0x1000 * s + 1;
        lb_stack(b, 1, &ip);
    }
    uint64_t t = 100, next = 0x100000, cache[100] = {0}, buf = 0, len = 0, cap = 0;
    const long single_at[6] = {150, 420, 777, 1203, 1500, 1950};
    for (long req = 0; req < 2000; req++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t slot = (rng >> 33) % 100;
        if (cache[slot])
            lb_free(b, t++, cache[slot]);
        cache[slot] = next;
        lb_alloc(b, t++, HT_FN_MALLOC, next, 32 + (rng >> 40) % 200, S_CACHE);
        next += 0x400;
        lb_alloc(b, t++, HT_FN_MALLOC, next, 100, S_TEMP);
        lb_free(b, t++, next);
        for (int k = 0; k < 6; k++)
            if (req == single_at[k]) {
                lb_alloc(b, t++, HT_FN_MALLOC, next += 0x400, 256, S_SINGLE);
            }
        len += 96;
        if (len > cap) {
            cap = cap ? 2 * cap : 256;
            lb_realloc(b, t++, buf, next += 0x400000, cap, S_BUFFER);
            buf = next;
        }
        if (req % 100 == 37) {
            lb_alloc(b, t++, HT_FN_MALLOC, next += 0x400, 64, S_LEAK);
        }
        next += 0x400;
        lb_event(b, HT_REC_MARK, t++, "S", "request");
    }
    lb_end(b, t, 0);
}

static const struct growth_finding *finding_at(const struct growth_result *r,
                                               const struct model *m, uint64_t stack_id)
{
    const struct model_stack *st = model_stack_of(m, stack_id);
    for (size_t i = 0; st && i < r->n; i++)
        if (r->findings[i].stack == st && r->findings[i].by == GROWTH_BY_SITE)
            return &r->findings[i];
    return NULL;
}

static void test_kept_and_block(void)
{
    struct logbuild b;
    build_loop(&b);
    size_t n;
    uint8_t *z = lb_compress(&b, 2, &n);
    lb_release(&b);
    struct ht_reader *rd;
    CHECK_EQ(ht_reader_open_mem(&rd, z, n, "t"), 0);
    struct replay_opts o = {.to_us = UINT64_MAX};
    struct replay *rp = replay_create(&o);
    struct growth_recorder *g = growth_recorder_create(rp);
    struct replay_listener l = growth_recorder_listener(g);
    replay_listen(rp, &l);
    CHECK_EQ(replay_run(rp, rd), 0);
    struct model *m = model_build(rp, ht_reader_header(rd), "t", "", NULL);
    struct growth_result *r = growth_analyze(g, m, NULL);
    CHECK(r->per_mark);
    /* the leak: 16 blocks after the warm-up (mark 400 of 2000), none freed */
    const struct growth_finding *f = finding_at(r, m, S_LEAK);
    CHECK(f && f->evidence == GROWTH_EV_KEPT && f->has_kept);
    if (f) {
        CHECK_EQ(f->kept.blocks, 16);
        CHECK_EQ(f->kept.events, 16);
        CHECK_EQ(f->kept.bytes, 16 * 64);
        NEAR(f->kept.longest_freed_age, 0, 1e-9);
        NEAR(f->kept.oldest_age, 1999 - 437, 12); /* within one sample interval */
        CHECK(f->kept.record_p < 1e-9 && f->kept.spread_p > 0.1);
        NEAR(f->slope_per_mark, 0.64, 0.1);
    }
    /* the buffer: 64 KiB after the warm-up, 256 KiB at the end, one block */
    f = finding_at(r, m, S_BUFFER);
    CHECK(f && f->evidence == GROWTH_EV_BLOCK && f->has_block);
    if (f) {
        CHECK_EQ(f->block.blocks, 1);
        CHECK_EQ(f->block.first_bytes, 65536);
        CHECK_EQ(f->block.last_bytes, 262144);
        CHECK_EQ(f->block.rises, 2);
    }
    /* steady: the cache frees old entries, 6 singletons are too few */
    CHECK(!finding_at(r, m, S_CACHE));
    CHECK(!finding_at(r, m, S_SINGLE));
    CHECK(!finding_at(r, m, S_TEMP));
    CHECK_EQ(r->n, 2);
    growth_result_free(r);
    model_free(m);
    growth_recorder_free(g);
    replay_free(rp);
    ht_reader_close(rd);
    free(z);
}

int main(void)
{
    test_few_points();
    test_mann_kendall();
    test_theil_sen();
    test_detect();
    test_rules();
    test_kept_and_block();
    return check_exit();
}
