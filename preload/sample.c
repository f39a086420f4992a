/* SPDX-License-Identifier: MIT */
/*
 * sample.c - HEAPTRACE_SAMPLE: which allocations are recorded, and which
 * frees must be.
 *
 * Allocations: each thread counts bytes down to its next Poisson sample
 * point (common/sampling.h); only an allocation that crosses one is
 * recorded and unwound.
 *
 * Frees: a free needs recording only when its block was sampled, and the
 * common (unsampled) free must find that out without a lock or a table
 * probe. The filter is 64 Ki one-byte counters indexed by a multiplicative
 * hash of the address: a sampled allocation adds 1 to its counter, and the
 * writer takes 1 off when it retires a sampled block (FREE or REALLOC found
 * it in the live table). A free whose counter is 0 is certainly of an
 * unsampled block and goes straight to the real free; one whose counter is
 * not 0 is recorded as usual, and the writer, which knows every sampled
 * live block, drops it when it is not one (the way it drops frees of blocks
 * from before tracing began). So the filter can only err towards recording:
 * a count stuck high (a saturated 255, or a block whose record was lost)
 * costs a few needless records, never a missed free.
 *
 * Why counters and not bits: a bit could not be cleared when its block goes
 * (another sampled block may share it), and a filter that only fills would
 * send every free to the writer after a day. The table is 64 KiB: its
 * untouched pages read the kernel's zero page, and with a few thousand live
 * samples a false "maybe" comes once in ~20 frees of unsampled blocks.
 */
#define _GNU_SOURCE
#include "ht.h"

uint64_t ht_sample_every;
__thread struct ht_sampler ht_sampler_tls __attribute__((tls_model("initial-exec")));
_Atomic uint8_t ht_sample_filter[HT_SAMPLE_FILTER];

uint64_t ht_sample_seed(void)
{
    uint64_t x = ht_now_tsc() ^ (uint64_t)__builtin_thread_pointer();
    x ^= x >> 33; /* splitmix64's finaliser: threads started together still differ */
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

HT_NOINLINE bool ht_sample_cross(size_t n)
{
    struct ht_sampler *s = &ht_sampler_tls;
    return ht_sampler_cross(s, ht_sample_every, n, s->rng ? 0 : ht_sample_seed());
}

void ht_sample_mark(const void *p)
{
    _Atomic uint8_t *c = &ht_sample_filter[ht_sample_slot(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != UINT8_MAX &&
           !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v + 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

void ht_sample_forget(uint64_t addr)
{
    _Atomic uint8_t *c = &ht_sample_filter[ht_sample_slot((const void *)(uintptr_t)addr)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != 0 && v != UINT8_MAX && /* a saturated count stays: it no longer knows */
           !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v - 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}
