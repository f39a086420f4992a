/* SPDX-License-Identifier: MIT */
/*
 * attach_server.c - a program to attach to while it runs: a "server loop"
 * that serves a request every few milliseconds, keeps a little of each in a
 * session table it never sweeps (the leak, in remember_session), frees the
 * rest, and prints a heartbeat line every 50 requests whose text depends
 * only on the request count, so a run with an attach in the middle prints
 * exactly what a run without one prints.
 *
 *   attach_server REQUESTS [PRE_BLOCKS [PLUGIN]]
 * REQUESTS 0: serve until stdin ends, then print "done N" (N served); a
 * second thread sits in a read of stdin meanwhile. PRE_BLOCKS blocks of
 * 1 KiB are allocated before the loop and kept: the heap that exists
 * before an attach. An 'l' on stdin makes the loop dlopen PLUGIN
 * (attach_plugin.c) and call its plugin_remember for every request after
 * that one, printing nothing more: a library loaded after the attach. (Not
 * in the request that loads it: heaptrace routes a new library's calls at
 * the next traced call of any thread, and what the library allocates
 * before that is not seen; docs/ATTACH.md.)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Made before the loop with room for 64 Ki sessions: during an attach the
 * sessions are held only by a block the log never saw allocated. */
static char **sessions;
static size_t nsessions, capacity;

__attribute__((noinline)) static void remember_session(unsigned long id)
{
    char *s = malloc(200);
    snprintf(s, 200, "session %lu", id);
    if (nsessions == capacity) {
        capacity = capacity ? 2 * capacity : 1u << 16;
        sessions = realloc(sessions, capacity * sizeof *sessions);
    }
    sessions[nsessions++] = s;
}

__attribute__((noinline)) static unsigned long serve(unsigned long id)
{
    char *req = malloc(512 + id % 256), *resp = calloc(1, 1024);
    memset(req, 'x', 512);
    unsigned long sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)req[i];
    snprintf(resp, 1024, "%lu", sum + id);
    remember_session(id);
    free(req);
    free(resp);
    return sum;
}

static _Atomic int stdin_ended, load_plugin;

static void *stdin_thread(void *arg)
{
    (void)arg;
    char c;
    while (read(0, &c, 1) > 0)
        if (c == 'l')
            load_plugin = 1;
    stdin_ended = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long requests = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    unsigned long pre = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    void **kept = calloc(pre ? pre : 1, sizeof *kept);
    for (unsigned long i = 0; i < pre; i++)
        kept[i] = malloc(1024);
    capacity = 1u << 16;
    sessions = malloc(capacity * sizeof *sessions);
    pthread_t th;
    if (!requests && pthread_create(&th, NULL, stdin_thread, NULL) != 0)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready %d\n", (int)getpid());
    const char *plugin_path = argc > 3 ? argv[3] : NULL;
    void (*plugin)(unsigned long) = NULL;
    unsigned long total = 0, id;
    for (id = 1; requests ? id <= requests : !stdin_ended; id++) {
        total += serve(id);
        if (plugin)
            plugin(id);
        if (load_plugin && plugin_path && !plugin) {
            void *h = dlopen(plugin_path, RTLD_NOW);
            void *sym = h ? dlsym(h, "plugin_remember") : NULL;
            memcpy(&plugin, &sym, sizeof sym);
        }
        if (id % 50 == 0)
            printf("heartbeat %lu sessions %zu total %lu\n", id, nsessions, total);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!requests)
        pthread_join(th, NULL);
    printf("done %lu\n", id - 1);
    for (unsigned long i = 0; i < pre; i++)
        free(kept[i]);
    free(kept);
    return 0;
}
