/* SPDX-License-Identifier: MIT */
/*
 * exact_accounting.c - every allocation function, from 4 threads, in counts
 * the test knows exactly, so logcheck can find the program's own events among
 * libc's (stdio buffers, pthread internals) by their sizes alone.
 *
 * Each operation uses its own size band: block k (k = thread*100 + i, 0..399)
 * of band B has size B*1000 + 200 + k, so band B is [B*1000+200, B*1000+600).
 * The bands avoid the powers of two libc likes (1024, 4096, 8192...).
 * CMakeLists.txt holds the matching expectations; keep the two in step.
 *
 *   band 1  malloc, half freed by the allocating thread, half by the next one
 *   band 2  calloc(1, n), freed by the next thread
 *   band 3  malloc, then realloc'd up into band 4, then freed
 *   band 6  malloc, then realloc'd down into band 5, then freed
 *   band 7  realloc(NULL, n), then freed
 *   band 8  malloc, then realloc(p, 0)
 *   band 9  reallocarray(NULL, 1, n), then reallocarray'd up into band 10
 *   band 11 posix_memalign(64)   band 12 aligned_alloc(128)
 *   band 13 memalign(256)        band 14 valloc        band 15 pvalloc
 *
 * Output is deterministic (a checksum of the data that must survive each
 * realloc), so the traced and the native run print the same bytes.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define PER_THREAD 100

static pthread_mutex_t handover_lock = PTHREAD_MUTEX_INITIALIZER;
static void *handover[THREADS][2][PER_THREAD]; /* [from thread][band 1 or 2][i] */
static pthread_barrier_t all_allocated;
static uint64_t checksums[THREADS];

static size_t band(int b, int k)
{
    return (size_t)b * 1000 + 200 + (size_t)k;
}

static void die(const char *what)
{
    fprintf(stderr, "exact_accounting: %s failed\n", what);
    exit(1);
}

static uint64_t sum_bytes(const unsigned char *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

/* malloc'd, realloc'd from band `from` to band `to`, checked, freed. */
static uint64_t realloc_move(int from, int to, int k)
{
    unsigned char *p = malloc(band(from, k));
    if (!p)
        die("malloc");
    size_t keep = band(from, k) < band(to, k) ? band(from, k) : band(to, k);
    memset(p, k & 0xff, band(from, k));
    unsigned char *q = realloc(p, band(to, k));
    if (!q)
        die("realloc");
    uint64_t s = sum_bytes(q, keep);
    free(q);
    return s;
}

static uint64_t aligned_family(int k)
{
    void *p = NULL;
    uint64_t s = 0;
    if (posix_memalign(&p, 64, band(11, k)) != 0)
        die("posix_memalign");
    s += (uintptr_t)p % 64;
    free(p);
    p = aligned_alloc(128, band(12, k));
    if (!p)
        die("aligned_alloc");
    s += (uintptr_t)p % 128;
    free(p);
    p = memalign(256, band(13, k));
    if (!p)
        die("memalign");
    s += (uintptr_t)p % 256;
    free(p);
    p = valloc(band(14, k));
    if (!p)
        die("valloc");
    s += (uintptr_t)p % 4096;
    free(p);
    p = pvalloc(band(15, k));
    if (!p)
        die("pvalloc");
    s += (uintptr_t)p % 4096;
    free(p);
    return s;
}

static uint64_t one_block(int k)
{
    uint64_t s = realloc_move(3, 4, k) + realloc_move(6, 5, k);

    unsigned char *p = realloc(NULL, band(7, k));
    if (!p)
        die("realloc(NULL)");
    memset(p, 7, band(7, k));
    s += sum_bytes(p, 16);
    free(p);

    p = malloc(band(8, k));
    if (!p)
        die("malloc");
    p[0] = 8;
    s += p[0];
    if (realloc(p, 0) != NULL) /* glibc frees p and returns NULL */
        die("realloc(p, 0)");

    p = reallocarray(NULL, 1, band(9, k));
    if (!p)
        die("reallocarray(NULL)");
    memset(p, 9, band(9, k));
    unsigned char *q = reallocarray(p, 1, band(10, k));
    if (!q)
        die("reallocarray");
    s += sum_bytes(q, band(9, k));
    free(q);

    return s + aligned_family(k);
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint64_t s = 0;
    void *mine[PER_THREAD];

    for (int i = 0; i < PER_THREAD; i++) {
        int k = t * PER_THREAD + i;
        mine[i] = malloc(band(1, k));
        unsigned char *z = calloc(1, band(2, k));
        if (!mine[i] || !z)
            die("malloc/calloc");
        for (size_t j = 0; j < band(2, k); j++)
            s += z[j]; /* calloc'd memory reads as zero */
        pthread_mutex_lock(&handover_lock);
        handover[t][1][i] = z;
        if (i % 2)
            handover[t][0][i] = mine[i];
        pthread_mutex_unlock(&handover_lock);
        s += one_block(k);
    }
    for (int i = 0; i < PER_THREAD; i += 2)
        free(mine[i]);

    pthread_barrier_wait(&all_allocated);

    /* free what the next thread handed over */
    int from = (t + 1) % THREADS;
    pthread_mutex_lock(&handover_lock);
    for (int i = 0; i < PER_THREAD; i++) {
        free(handover[from][0][i]); /* NULL for the even i: free(NULL) */
        free(handover[from][1][i]);
        handover[from][0][i] = handover[from][1][i] = NULL;
    }
    pthread_mutex_unlock(&handover_lock);
    checksums[t] = s;
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    if (pthread_barrier_init(&all_allocated, NULL, THREADS) != 0)
        die("pthread_barrier_init");
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) != 0)
            die("pthread_create");
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&all_allocated);
    for (int t = 0; t < THREADS; t++)
        printf("thread %d checksum %016llx\n", t, (unsigned long long)checksums[t]);
    printf("done: %d threads x %d blocks\n", THREADS, PER_THREAD);
    return 0;
}
