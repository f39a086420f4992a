/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - shared by the growth scenarios: the request count from argv,
 * marks when SCEN_MARKS=1, and per-request busy work (short-lived mallocs and
 * arithmetic) so that a run lasts long enough for time-based sampling.
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <heaptrace.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int scen_marks;
static uint64_t scen_rng = 88172645463325252ull;
static volatile uint64_t scen_sink;

static inline uint64_t scen_rand(void)
{
    scen_rng ^= scen_rng << 13;
    scen_rng ^= scen_rng >> 7;
    scen_rng ^= scen_rng << 17;
    return scen_rng;
}

static inline long scen_init(int argc, char **argv, long def)
{
    const char *m = getenv("SCEN_MARKS");
    scen_marks = m && strcmp(m, "1") == 0;
    return argc > 1 ? atol(argv[1]) : def;
}

/* Temporaries and arithmetic: about 40 us per request natively. */
static void scen_work(void)
{
    for (int i = 0; i < 16; i++) {
        size_t n = 32 + scen_rand() % 512;
        unsigned char *p = malloc(n);
        memset(p, (int)i, n);
        uint64_t h = 0;
        for (int k = 0; k < 400; k++)
            h = h * 31 + p[k % n];
        scen_sink += h;
        free(p);
    }
}

static inline void scen_request_done(void)
{
    if (scen_marks)
        heaptrace_mark("request");
}

#endif
