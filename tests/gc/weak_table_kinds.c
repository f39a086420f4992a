/* SPDX-License-Identifier: MIT */
/*
 * weak_table_kinds.c MODE ENTRIES - three C weak tables built on
 * GC_general_register_disappearing_link, one cell per entry whose key slot
 * is the link, filled in a loop while the keys are dropped:
 *   dead:     dead entries are never vacuumed: cleared slots pile up;
 *   self:     each value refers to its key, so the key stays reachable
 *             through the table (Boehm has no ephemerons): nothing is cleared;
 *   vacuumed: values are independent and every insertion drops the dead
 *             entries it meets: the table stays small.
 * A collection every STEP entries gives the run enough of them. Prints its
 * own counts for gc_check.py.
 */
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024
#define STEP 2000

struct cell {
    void *key;          /* the disappearing link: the key hidden from the scan */
    void *value;        /* self: points back to the key */
    struct cell *next;  /* the bucket's chain */
};

static struct cell **buckets; /* uncollectable: the table is a root */
static unsigned registered, live_entries;

/* A new entry, chained into its bucket. noinline: one registration stack. */
static __attribute__((noinline)) void weak_put(void *key, void *value, size_t h)
{
    struct cell *c = GC_malloc(sizeof *c); /* scanned: value and next are strong */
    c->key = (void *)GC_HIDE_POINTER(key); /* the collector clears it to NULL */
    c->value = value;
    c->next = buckets[h % BUCKETS];
    if (GC_general_register_disappearing_link(&c->key, key) == GC_SUCCESS)
        registered++;
    buckets[h % BUCKETS] = c;
    live_entries++;
}

/* Drops the entries of bucket h whose key the collector cleared. */
static void weak_vacuum(size_t h)
{
    for (struct cell **p = &buckets[h % BUCKETS]; *p;)
        if ((*p)->key == NULL) {
            *p = (*p)->next;
            live_entries--;
        } else {
            p = &(*p)->next;
        }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "dead";
    unsigned entries = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
    GC_INIT();
    buckets = GC_malloc_uncollectable(BUCKETS * sizeof *buckets);
    for (unsigned i = 0; i < entries; i++) {
        char *key = GC_malloc_atomic(64);
        memset(key, (int)i, 64);
        void *value = strcmp(mode, "self") == 0 ? (void *)key : GC_malloc_atomic(32);
        if (strcmp(mode, "vacuumed") == 0)
            weak_vacuum(i);
        weak_put(key, value, i);
        if (i % STEP == STEP - 1)
            GC_gcollect();
    }
    GC_gcollect();
    unsigned cleared = 0, held = 0;
    for (size_t h = 0; h < BUCKETS; h++)
        for (struct cell *c = buckets[h]; c; c = c->next) {
            held++;
            cleared += c->key == NULL;
        }
    printf("registered=%u held=%u cleared_held=%u collections=%lu\n", registered, held, cleared,
           (unsigned long)GC_get_gc_no());
    return 0;
}
