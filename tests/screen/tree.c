/* SPDX-License-Identifier: MIT */
/*
 * tree.c - a small process tree for the first screen: the parent forks two
 * workers and waits. Worker 1 remembers every request in a global list that
 * nothing ever trims (growth, held by global `history`); worker 2 serves the
 * same requests and frees everything; the parent loses its config buffer on
 * an error path. One heaptrace_mark() per request in the workers.
 *
 *   tree [REQUESTS]   (default 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <heaptrace.h>

struct entry {
    struct entry *next;
    char payload[96];
};

static struct entry *history; /* worker 1 keeps every request here */

static void remember_request(int r)
{
    struct entry *e = malloc(sizeof(*e));
    if (!e)
        exit(1);
    snprintf(e->payload, sizeof(e->payload), "request %d", r);
    e->next = history;
    history = e;
}

static void serve(int r)
{
    char *page = malloc(256);
    if (!page)
        exit(1);
    snprintf(page, 256, "page %d", r);
    free(page);
}

static int worker(int id, int requests)
{
    for (int r = 0; r < requests; r++) {
        if (id == 1)
            remember_request(r);
        serve(r);
        heaptrace_mark("request");
    }
    return 0;
}

static char *load_config(void)
{
    char *cfg = malloc(512);
    if (!cfg)
        exit(1);
    strcpy(cfg, "workers=2");
    return cfg;
}

int main(int argc, char **argv)
{
    int requests = argc > 1 ? atoi(argv[1]) : 2000;
    char *cfg = load_config();
    if (strstr(cfg, "workers") == NULL) /* never: cfg is kept below */
        return 1;
    cfg = NULL; /* the error path's bug: the buffer is dropped, not freed */
    for (int id = 1; id <= 2; id++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(worker(id, requests));
        if (pid < 0)
            return 1;
    }
    int status, failed = 0;
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    printf("tree: 2 workers, %d requests each, %d failed\n", requests, failed);
    return failed != 0;
}
