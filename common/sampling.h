/* SPDX-License-Identifier: MIT */
/*
 * sampling.h - Poisson sampling by bytes (HEAPTRACE_SAMPLE), shared by the
 * recorder, which decides, and the analyzer, which scales.
 *
 * The model (tcmalloc's and Go's): sample points fall on the stream of
 * allocated bytes as a Poisson process of mean spacing `every`; an
 * allocation is sampled when at least one point falls inside it. The
 * spacing is exponential, hence memoryless: a thread keeps a countdown of
 * bytes to the next point, and after a sampled allocation draws a fresh one
 * from the allocation's end. So an allocation of n bytes is sampled with
 * probability exactly p(n) = 1 - exp(-n / every), whatever came before it
 * and however large it is, and it stands for 1 / p(n) allocations and
 * n / p(n) bytes (unbiased: the expected weight of every allocation is its
 * own n). Go's bug 26618 is what breaks that: sampling allocations larger
 * than the rate always while still dividing by p(n) overcounted them 1.58x.
 * Nothing here treats a size specially, and the analyzer weighs each block
 * by its own size, never a site's average (1 / p is not linear).
 *
 * Pure functions: no allocation, no libm (the recorder runs inside any
 * program), so unit tests drive the same code with a fixed seed.
 */
#ifndef HT_SAMPLING_H
#define HT_SAMPLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One thread's sampler; all zero = not seeded yet (a thread's TLS starts so). */
struct ht_sampler {
    int64_t left;  /* bytes until the next sample point */
    uint64_t rng;  /* xorshift64* state, never 0 once seeded */
};

/* The next 64 random bits (xorshift64*). */
static inline uint64_t ht_sampler_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* ln(x) for x in (0, 1], to ~1e-15: x = m * 2^e with m in [1, 2), then
 * ln m = 2 atanh((m - 1) / (m + 1)) by its series (|t| <= 1/3). */
static inline double ht_sampler_ln(double x)
{
    union {
        double d;
        uint64_t u;
    } v = {x};
    int e = (int)((v.u >> 52) & 0x7ff) - 1023;
    v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double t = (v.d - 1) / (v.d + 1), t2 = t * t, term = t, sum = 0;
    for (int k = 1; k < 40; k += 2) {
        sum += term / k;
        term *= t2;
    }
    return 2 * sum + e * 0.69314718055994530942;
}

/* An exponential spacing of mean `every`, in bytes, at least 1. */
static inline int64_t ht_sampler_draw(uint64_t *rng, uint64_t every)
{
    /* u uniform in (0, 1]: 53 random bits, never 0 */
    double u = ((double)(ht_sampler_next(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double d = -ht_sampler_ln(u) * (double)every;
    return d < 1 ? 1 : d > 4e18 ? (int64_t)4e18 : (int64_t)d;
}

/* Seeds s (seed 0 is replaced: xorshift needs a nonzero state). */
static inline void ht_sampler_seed(struct ht_sampler *s, uint64_t seed, uint64_t every)
{
    s->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
    s->left = ht_sampler_draw(&s->rng, every);
}

/* The slow path of ht_sampler_take: the countdown ran out (or was never
 * seeded). `n` was already taken off s->left. */
static inline bool ht_sampler_cross(struct ht_sampler *s, uint64_t every, uint64_t n,
                                    uint64_t seed)
{
    if (!s->rng) { /* first allocation of the thread: start the process here */
        ht_sampler_seed(s, seed, every);
        s->left -= (int64_t)n;
        if (s->left > 0)
            return false;
    }
    s->left = ht_sampler_draw(&s->rng, every); /* memoryless: restart at the block's end */
    return true;
}

/* True when an allocation of n bytes is sampled. `seed` seeds a thread's
 * first draw (only read then). */
static inline bool ht_sampler_take(struct ht_sampler *s, uint64_t every, uint64_t n,
                                   uint64_t seed)
{
    s->left -= (int64_t)n;
    if (__builtin_expect(s->left > 0, 1))
        return false;
    return ht_sampler_cross(s, every, n, seed);
}

/* p(n) = 1 - exp(-n / every) without libm: exp(-x) by squaring a short
 * Taylor step; 1 when every is 0 (not sampled). */
static inline double ht_sample_probability(uint64_t n, uint64_t every)
{
    if (!every)
        return 1;
    double x = (double)n / (double)every;
    if (x > 40)
        return 1;
    if (x < 1e-6) /* 1 - e^-x = x - x^2/2 ... : the subtraction below would lose it */
        return x - x * x / 2;
    int k = 0;
    double y = x;
    while (y > 1.0 / 64) {
        y /= 2;
        k++;
    }
    /* e^-y for y <= 1/64 to 1e-17, then square k times */
    double e = 1 - y * (1 - y / 2 * (1 - y / 3 * (1 - y / 4 * (1 - y / 5 * (1 - y / 6)))));
    while (k--)
        e *= e;
    return 1 - e;
}

/* What a sampled block of n bytes stands for: bytes and allocations. */
static inline double ht_sample_bytes(uint64_t n, uint64_t every)
{
    return n ? (double)n / ht_sample_probability(n, every) : 0;
}

static inline double ht_sample_count(uint64_t n, uint64_t every)
{
    /* a 0-byte block is never sampled by bytes; 1 keeps it visible when a
     * log of an older recorder or heaptrace_alloc() holds one */
    return n ? 1 / ht_sample_probability(n, every) : 1;
}

#endif /* HT_SAMPLING_H */
