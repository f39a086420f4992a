/* SPDX-License-Identifier: MIT */
/*
 * edge_offsets.c - blocks that point at each other from fields at known
 * offsets (offsetof), for edge_offsets.sh: the snapshot's edges must name
 * those offsets. Prints the edges it expects, one a line:
 *     edge FROM_SIZE TO_SIZE OFFSET start|interior
 * Mode "api" takes a running-program snapshot (heaptrace_snapshot) and frees
 * everything; "exit" leaves the blocks to the exit snapshot.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heaptrace.h"

struct rec {
    char head[24];
    struct rec *next; /* a start pointer: word 3 */
    char mid[40];
    char *inner;      /* an interior pointer: word 9 */
    char tail[1200];
    struct rec *far;  /* far from the previous one: a two-byte skip */
};

#define BUF_SIZE 1333

static struct rec *volatile head;

int main(int argc, char **argv)
{
    int api = argc > 1 && strcmp(argv[1], "api") == 0;
    struct rec *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    char *buf = calloc(1, BUF_SIZE);
    if (!a || !b || !buf)
        return 1;
    a->next = b;
    a->inner = buf + 16;
    b->far = a;
    head = a;
    printf("edge %zu %zu %zu start\n", sizeof *a, sizeof *b, offsetof(struct rec, next));
    printf("edge %zu %d %zu interior\n", sizeof *a, BUF_SIZE, offsetof(struct rec, inner));
    printf("edge %zu %zu %zu start\n", sizeof *b, sizeof *a, offsetof(struct rec, far));
    fflush(stdout);
    if (api) {
        heaptrace_snapshot();
        usleep(300 * 1000); /* let the child finish while the blocks are still live */
        free(buf);
        free(b);
        free(a);
        head = NULL;
    }
    return 0;
}
