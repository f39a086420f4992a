/* SPDX-License-Identifier: MIT */
/*
 * bigheap.c - a large heap with a realistic pointer structure, for
 * bench/snapshot_bench.sh: a hash table (one bucket array block) whose
 * chains hold BLOCKS nodes of BYTES in total. Each node links the next one
 * of its chain, points at a random earlier node (one in eight of them
 * inside it, not at its start) and carries a payload of plain integers.
 *
 *     bigheap BLOCKS BYTES [snap]
 *
 * With "snap" it then asks for a snapshot of the running program
 * (heaptrace_snapshot) and goes on working for 3 s, adding nodes, while
 * the snapshot is taken; it prints the longest stall of one unit of
 * its work, the pause as the program sees it. It returns without freeing
 * anything: the exit snapshot (HEAPTRACE_SNAPSHOTS=1) sees the whole heap.
 * Its last line ends with maxrss_kb, its own peak RSS so far (a tracer's
 * helper processes and snapshot children not included): bench/live_rss.sh.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "heaptrace.h"

struct node {
    struct node *next; /* the chain */
    struct node *link; /* a random earlier node */
    uint64_t key;
    uint64_t payload[];
};

static struct node **buckets; /* the only root: a global */
static size_t nbuckets;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A node of `size` bytes (at least the header) for `key`, linked to `other`. */
static struct node *make(size_t size, uint64_t key, struct node *other)
{
    struct node *n = malloc(size);
    if (!n) {
        perror("bigheap: malloc");
        exit(1);
    }
    n->key = key;
    n->link = other && (key & 7) == 0 ? (struct node *)((char *)other + 8) : other;
    size_t words = (size - sizeof *n) / 8;
    for (size_t i = 0; i < words; i++)
        n->payload[i] = key * 31 + i; /* small integers: not pointers */
    size_t b = key % nbuckets;
    n->next = buckets[b];
    buckets[b] = n;
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bigheap BLOCKS BYTES [snap]\n");
        return 2;
    }
    size_t blocks = strtoull(argv[1], NULL, 0), bytes = strtoull(argv[2], NULL, 0);
    int snap = argc > 3 && strcmp(argv[3], "snap") == 0;
    nbuckets = blocks / 8 + 1;
    buckets = calloc(nbuckets, sizeof *buckets);
    size_t mean = bytes / (blocks ? blocks : 1);
    if (!buckets || mean < sizeof(struct node) + 8) {
        fprintf(stderr, "bigheap: BYTES / BLOCKS must be at least %zu\n", sizeof(struct node) + 8);
        return 2;
    }
    /* sizes uniform in [hdr, 2 * mean - hdr]: mean `mean`, mostly small */
    size_t lo = sizeof(struct node), span = 2 * (mean - lo) + 1;
    double t0 = now_s();
    size_t total = nbuckets * sizeof *buckets;
    for (size_t i = 1; i < blocks; i++) {
        size_t size = lo + (size_t)(rnd() % span);
        make(size, i, buckets[rnd() % nbuckets]);
        total += size;
    }
    double built = now_s() - t0;
    double worst = 0, work = 0;
    if (snap) {
        heaptrace_snapshot();
        /* Go on working for 3 s and time each unit of 1000 new nodes: the
         * longest is the pause we saw (plus copy-on-write faults). */
        double end = now_s() + 3.0;
        uint64_t key = blocks;
        while (now_s() < end) {
            double u0 = now_s();
            for (int k = 0; k < 1000; k++)
                make(lo + (size_t)(rnd() % span), key++, buckets[rnd() % nbuckets]);
            double u = now_s() - u0;
            work += u;
            if (u > worst)
                worst = u;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bigheap blocks=%zu bytes=%zu build_s=%.3f worst_unit_ms=%.3f work_s=%.3f maxrss_kb=%ld\n",
           blocks, total, built, worst * 1e3, work, ru.ru_maxrss);
    return 0;
}
