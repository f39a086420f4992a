/* SPDX-License-Identifier: MIT */
/*
 * grow_retained.c - growth with a known cause, for growth_case.sh:
 *
 *   grow_retained keep N   every request files a 1 KiB record (record_new)
 *                          in the global registry g_registry (a bucket array
 *                          made once by registry_new) and never removes it:
 *                          growth kept alive by g_registry;
 *   grow_retained drop N   the same records, dropped without free: growth
 *                          that nothing points at (a true leak).
 * A mark per request; a short sleep per request so that snapshots of the
 * running program (HEAPTRACE_SNAPSHOT_EVERY_MARKS) keep up.
 */
#include <heaptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUCKETS 256

struct record {
    struct record *next;
    long id;
    char body[1008];
};

struct record **g_registry;

__attribute__((noinline)) static struct record **registry_new(void)
{
    return calloc(BUCKETS, sizeof(struct record *));
}

__attribute__((noinline)) static struct record *record_new(long id)
{
    struct record *r = malloc(sizeof(*r));
    r->next = NULL;
    r->id = id;
    memset(r->body, 'r', sizeof(r->body));
    return r;
}

int main(int argc, char **argv)
{
    int keep = argc > 1 && strcmp(argv[1], "keep") == 0;
    long n = argc > 2 ? atol(argv[2]) : 1000;
    g_registry = registry_new();
    const struct timespec nap = {0, 200 * 1000};
    for (long i = 0; i < n; i++) {
        struct record *r = record_new(i);
        if (keep) {
            r->next = g_registry[i % BUCKETS];
            g_registry[i % BUCKETS] = r;
        } else {
            memset(&r, 0, sizeof(r)); /* the only pointer: gone, the block leaks */
        }
        nanosleep(&nap, NULL);
        heaptrace_mark("request");
    }
    printf("grow_retained %s %ld\n", keep ? "keep" : "drop", n);
    return 0;
}
