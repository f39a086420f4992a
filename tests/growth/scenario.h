/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - shared by the growth scenarios: the request count from argv,
 * marks when SCEN_MARKS=1, and per-request busy work (short-lived mallocs and
 * arithmetic) so that a run lasts long enough for time-based sampling.
 * SCEN_JITTER=US adds a wait of 0..US microseconds per request, drawn from
 * SCEN_SEED (stability.sh: the same allocations, different timing).
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <heaptrace.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int scen_marks;
static long scen_jitter_us;
static uint64_t scen_jitter_rng = 0x9E3779B97F4A7C15ull;
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
    const char *j = getenv("SCEN_JITTER"), *seed = getenv("SCEN_SEED");
    scen_jitter_us = j ? atol(j) : 0;
    if (seed) /* a separate generator: the program's own draws stay the same */
        scen_jitter_rng += (uint64_t)atol(seed) * 0x2545F4914F6CDD1Dull;
    return argc > 1 ? atol(argv[1]) : def;
}

static inline double scen_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Spins (a sleep would round up to the timer slack) for 0..SCEN_JITTER us. */
static inline void scen_jitter(void)
{
    if (scen_jitter_us <= 0)
        return;
    scen_jitter_rng ^= scen_jitter_rng << 13;
    scen_jitter_rng ^= scen_jitter_rng >> 7;
    scen_jitter_rng ^= scen_jitter_rng << 17;
    double end = scen_now_us() + (double)(scen_jitter_rng % (uint64_t)(scen_jitter_us + 1));
    while (scen_now_us() < end)
        ;
}

/* Temporaries and arithmetic: about 40 us per request natively. */
static inline void scen_work(void)
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
    scen_jitter();
    if (scen_marks)
        heaptrace_mark("request");
}

#endif
