/* SPDX-License-Identifier: MIT */
/*
 * proc_tree.c - a parent that forks two workers and waits for them: the
 * first worker keeps a copy of every request it serves (growth, one
 * heaptrace_mark() per request), the second frees everything. The parent
 * itself loses one buffer.
 *
 *   proc_tree [REQUESTS]   (default 3000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <heaptrace.h>

struct request {
    struct request *next;
    char body[240];
};

static struct request *history; /* the first worker's: never trimmed */

static void remember_request(int r)
{
    struct request *q = malloc(sizeof(*q));
    snprintf(q->body, sizeof(q->body), "request %d", r);
    q->next = history;
    history = q;
}

static void serve_and_forget(int r)
{
    char *scratch = malloc(256 + (size_t)r % 64);
    memset(scratch, r, 256);
    free(scratch);
}

static int worker(int which, int requests)
{
    for (int r = 0; r < requests; r++) {
        if (which == 0)
            remember_request(r);
        else
            serve_and_forget(r);
        heaptrace_mark("request");
    }
    return 0;
}

int main(int argc, char **argv)
{
    int requests = argc > 1 ? atoi(argv[1]) : 3000;
    char *lost = malloc(4096);
    memset(lost, 1, 4096);
    lost = NULL;
    for (int w = 0; w < 2; w++) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0)
            _exit(worker(w, requests));
    }
    int st, failed = 0;
    while (wait(&st) > 0)
        failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    printf("proc_tree: 2 workers, %d requests each%s\n", requests, failed ? ", one failed" : "");
    return failed;
}
