/* SPDX-License-Identifier: MIT */
/*
 * daemon.c - a daemon that is stopped, not ended: each tick appends a
 * record to a global vector that nothing ever trims (the growth), then it
 * says "ready" and waits for SIGTERM, which it does not handle (it dies of
 * it, as most daemons do). One heaptrace_mark() per tick.
 *
 *   daemon [TICKS]   (default 3000)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <heaptrace.h>

struct record {
    long tick;
    char line[120];
};

static struct record **records; /* the vector: every tick's record, never trimmed */
static size_t nrecords, cap;

static void log_tick(long tick)
{
    if (nrecords == cap) {
        cap = cap ? cap * 2 : 64;
        struct record **grown = realloc(records, cap * sizeof(*records));
        if (!grown)
            exit(1);
        records = grown;
    }
    /* calloc: with malloc, the tail of `line` keeps stale heap addresses of
     * the vectors realloc freed, which the snapshot's conservative scan
     * reads as links between records (a "table" of them) */
    struct record *r = calloc(1, sizeof(*r));
    if (!r)
        exit(1);
    r->tick = tick;
    snprintf(r->line, sizeof(r->line), "tick %ld: all well", tick);
    records[nrecords++] = r;
}

int main(int argc, char **argv)
{
    long ticks = argc > 1 ? atol(argv[1]) : 3000;
    for (long t = 0; t < ticks; t++) {
        log_tick(t);
        heaptrace_mark("tick");
    }
    printf("daemon: ready after %ld ticks, pid %ld\n", ticks, (long)getpid());
    fflush(stdout);
    for (;;)
        pause(); /* until SIGTERM */
}
