/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the shim's clocks: monotonic time and a thread's CPU time, in
 * nanoseconds. clock_gettime goes through the vDSO: no lock, no allocation.
 */
#define _GNU_SOURCE
#include <time.h>

#include "ht.h"

uint64_t ht_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The calling thread's CPU time: a snapshot's scan on one core. */
uint64_t ht_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
