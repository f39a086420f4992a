/* SPDX-License-Identifier: MIT */
/*
 * check.h - minimal assertions for unit tests: a failed check prints
 * file:line, the expression and (for the typed forms) both values, then the
 * test goes on; check_exit() turns the failure count into the exit status.
 */
#ifndef HT_CHECK_H
#define HT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

/* A fixed-seed xorshift64: the same "random" cases on every run. */
static inline uint64_t check_rand(void)
{
    static uint64_t s = 0x2545f4914f6cdd1dull;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                       \
        if (check_a_ != check_b_) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s == %s (%" PRIu64 " != %" PRIu64 ")\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);                       \
            check_failures++;                                                              \
        }                                                                                  \
    } while (0)

/* haystack contains needle */
#define CHECK_HAS(haystack, needle)                                                      \
    do {                                                                                 \
        const char *check_h_ = (haystack), *check_n_ = (needle);                         \
        if (!check_h_ || !strstr(check_h_, check_n_)) {                                  \
            fprintf(stderr, "%s:%d: check failed: \"%s\" does not contain \"%s\"\n",    \
                    __FILE__, __LINE__, check_h_ ? check_h_ : "(null)", check_n_);        \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

static inline int check_exit(void)
{
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    return check_failures ? 1 : 0;
}

#endif /* HT_CHECK_H */
