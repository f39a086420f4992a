/* SPDX-License-Identifier: MIT */
/*
 * dead_slots.c - a weak table whose cleared entries stay linked, for
 * tables_case.sh. Each request opens a session (session_open: a struct
 * and an iconv_t) and files it in a chained hash table (entry_new: key,
 * value -> session, resource, next). The session dies CONC requests later:
 *
 *   dead_slots leaky N   its entry is only cleared (value = NULL) and keeps
 *                        the iconv_t for a sweeper that never runs: dead
 *                        entries grow by one per request, each owning the
 *                        converter's ~32 KiB;
 *   dead_slots correct N the entry is unlinked and freed with the session.
 *
 * A mark per request (HEAPTRACE_SNAPSHOT_EVERY_MARKS takes snapshots); at
 * the end it prints its own count of dead entries, then exits without
 * tearing the table down, so the exit snapshot sees the same table.
 */
#include <heaptrace.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 64
#define CONC 32

struct session {
    uint64_t id;
    char name[24];
};

struct entry {
    uint64_t key;
    struct session *value; /* +8: NULL once cleared */
    iconv_t resource;      /* +16: closed by a sweep that never comes */
    struct entry *next;    /* +24 */
};

struct entry **g_sessions;
static long dead_entries;

__attribute__((noinline)) static struct entry **table_new(void)
{
    return calloc(BUCKETS, sizeof(struct entry *));
}

__attribute__((noinline)) static struct session *session_open(uint64_t id)
{
    struct session *s = malloc(sizeof(*s));
    s->id = id;
    snprintf(s->name, sizeof(s->name), "session %llu", (unsigned long long)id);
    return s;
}

__attribute__((noinline)) static struct entry *entry_new(struct session *s)
{
    struct entry *e = malloc(sizeof(*e));
    e->key = s->id;
    e->value = s;
    e->resource = iconv_open("UTF-16LE", "UTF-8");
    e->next = g_sessions[s->id % BUCKETS];
    g_sessions[s->id % BUCKETS] = e;
    return e;
}

static void session_close(struct session *s, int correct)
{
    struct entry **at = &g_sessions[s->id % BUCKETS];
    while (*at && (*at)->value != s)
        at = &(*at)->next;
    struct entry *e = *at;
    if (correct) { /* unlink at once */
        *at = e->next;
        iconv_close(e->resource);
        free(e);
    } else { /* weak-table style: cleared, left for a sweeper */
        e->key = 0;
        e->value = NULL;
        dead_entries++;
    }
    free(s);
}

int main(int argc, char **argv)
{
    int correct = argc > 1 && strcmp(argv[1], "correct") == 0;
    long n = argc > 2 ? atol(argv[2]) : 400;
    struct session *ring[CONC] = {0};
    g_sessions = table_new();
    for (long i = 0; i < n; i++) {
        if (ring[i % CONC])
            session_close(ring[i % CONC], correct);
        ring[i % CONC] = session_open((uint64_t)i + 1);
        entry_new(ring[i % CONC]);
        heaptrace_mark("request");
    }
    printf("dead_slots %s %ld dead=%ld\n", correct ? "correct" : "leaky", n, dead_entries);
    return 0;
}
