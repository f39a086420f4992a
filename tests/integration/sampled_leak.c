/* SPDX-License-Identifier: MIT */
/*
 * sampled_leak.c - a known leak among heavy churn, for sampled_leak.sh:
 * leak_here() leaks 8192 blocks of 4 KiB (32 MiB), grow_here() leaks 64
 * blocks realloc'd up from 1 KiB to 256 KiB (16 MiB), and churn() allocates
 * and frees 2 million blocks of 16..2063 bytes, freeing every one (with
 * free and with realloc to 0), so a sampled free the recorder missed would
 * show as bytes left at churn's site.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEAKS 8192
#define LEAK_SIZE 4096
#define GROWN 64
#define CHURN 2000000

static void *sink[LEAKS + GROWN];

__attribute__((noinline)) static void *leak_here(void)
{
    void *p = malloc(LEAK_SIZE);
    if (p)
        memset(p, 1, LEAK_SIZE);
    return p;
}

__attribute__((noinline)) static void *grow_here(void)
{
    void *p = NULL;
    for (size_t n = 1024; n <= 256 * 1024; n *= 2) {
        void *q = realloc(p, n);
        if (!q)
            return p;
        p = q;
    }
    return p;
}

__attribute__((noinline)) static void churn(unsigned long *x, void **ring, size_t nring)
{
    *x = *x * 6364136223846793005UL + 1442695040888963407UL;
    size_t slot = (size_t)(*x >> 40) % nring;
    if (*x >> 63)
        free(ring[slot]);
    else
        free(realloc(ring[slot], 0)); /* glibc frees and returns NULL */
    ring[slot] = malloc(16 + (size_t)(*x >> 44) % 2048);
}

int main(void)
{
    static void *ring[4096];
    unsigned long x = 42;
    for (size_t i = 0; i < CHURN; i++) {
        churn(&x, ring, sizeof ring / sizeof ring[0]);
        if (i % (CHURN / LEAKS) == 0 && i / (CHURN / LEAKS) < LEAKS)
            sink[i / (CHURN / LEAKS)] = leak_here();
        if (i % (CHURN / GROWN) == 0 && i / (CHURN / GROWN) < GROWN)
            sink[LEAKS + i / (CHURN / GROWN)] = grow_here();
    }
    for (size_t i = 0; i < sizeof ring / sizeof ring[0]; i++)
        free(ring[i]);
    printf("sampled_leak: leaked %d x %d and %d x %d bytes\n", LEAKS, LEAK_SIZE, GROWN, 256 * 1024);
    return 0;
}
