/* SPDX-License-Identifier: MIT */
/*
 * retention_paths.c - one heap with a known answer to "who keeps this
 * alive", for tests/retention/paths_case.sh:
 *
 *   global g_ports -> struct table (make_table) -> .buckets at +8 -> bucket
 *   array (make_buckets) -> [3] at +24 -> a chain of SLOTS struct slot
 *   (slot_new), linked by .next at +8, each owning a 4 KiB payload
 *   (payload_new) through .payload at +16;
 *   a named thread "keeper" holds a 3 MiB block (keeper_block) only in a
 *   local variable while it waits forever (a live thread's stack is a root);
 *   main's thread holds a 2 MiB block (tls_block) only in a __thread
 *   variable (static TLS is a root).
 * It exits with everything in place: the exit snapshot sees all of it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1000
#define BUCKETS 64

struct slot {
    uint64_t key;
    struct slot *next; /* +8 */
    char *payload;     /* +16 */
};

struct table {
    uint64_t count;
    struct slot **buckets; /* +8 */
};

struct table *g_ports;
__thread char *tls_cache; /* not static: a store to a static nobody reads may vanish */
static pthread_barrier_t ready;

__attribute__((noinline)) static struct table *make_table(void)
{
    return calloc(1, sizeof(struct table));
}

__attribute__((noinline)) static struct slot **make_buckets(void)
{
    return calloc(BUCKETS, sizeof(struct slot *));
}

__attribute__((noinline)) static char *payload_new(void)
{
    char *p = malloc(4096);
    memset(p, 0x5a, 4096); /* no stray words that look like pointers */
    return p;
}

__attribute__((noinline)) static struct slot *slot_new(uint64_t key)
{
    struct slot *s = malloc(sizeof(*s));
    s->key = key;
    s->next = NULL;
    s->payload = payload_new();
    return s;
}

__attribute__((noinline)) static char *keeper_block(void)
{
    char *p = malloc(3 << 20);
    memset(p, 0, 3 << 20);
    return p;
}

__attribute__((noinline)) static char *tls_block(void)
{
    char *p = malloc(2 << 20);
    memset(p, 0, 2 << 20);
    return p;
}

static void *keeper(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "keeper");
    char *volatile held = keeper_block();
    pthread_barrier_wait(&ready);
    for (;;)
        pthread_barrier_wait(&ready); /* nobody comes: parked for good */
    return held;
}

__attribute__((noinline)) static void build_table(void)
{
    g_ports = make_table();
    g_ports->buckets = make_buckets();
    for (uint64_t k = 0; k < SLOTS; k++) { /* every key in bucket 3: one long chain */
        struct slot *s = slot_new(k);
        s->next = g_ports->buckets[3];
        g_ports->buckets[3] = s;
        g_ports->count++;
    }
}

/* Overwrites the dead stack below us, where build_table left copies of
 * pointers that would be roots of their own (a conservative scan). */
__attribute__((noinline)) static void scrub_stack(void)
{
    volatile char junk[16384];
    memset((char *)junk, 0, sizeof(junk));
}

int main(void)
{
    build_table();
    scrub_stack();
    tls_cache = tls_block();
    pthread_barrier_init(&ready, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, keeper, NULL);
    pthread_barrier_wait(&ready);
    printf("retention_paths: %llu slots\n", (unsigned long long)g_ports->count);
    return 0;
}
