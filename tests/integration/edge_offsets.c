/* SPDX-License-Identifier: MIT */
/*
 * edge_offsets.c - blocks that point at each other from fields at known
 * offsets (offsetof), for edge_offsets.sh: the snapshot's edges must name
 * those offsets. Prints the edges it expects, one a line:
 *     edge FROM_SIZE TO_SIZE OFFSET start|interior
 * A block with an unreadable page (PROT_NONE) in its middle has a pointer
 * on each side of it: the scan must skip the page, not stop or crash (its
 * pages all touched, so the child first reads it in place and faults).
 * Mode "api" takes a running-program snapshot (heaptrace_snapshot) and frees
 * everything; "exit" leaves the blocks to the exit snapshot.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
#define HOLED_SIZE (160 * 1024) /* mmap'd by malloc, and small enough to be read with neighbours */

static struct rec *volatile head;
static char *volatile holed_root;

int main(int argc, char **argv)
{
    int api = argc > 1 && strcmp(argv[1], "api") == 0;
    struct rec *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    char *buf = calloc(1, BUF_SIZE);
    if (!a || !b || !buf)
        return 1;
    char *holed = malloc(HOLED_SIZE);
    if (!holed)
        return 1;
    memset(holed, 0, HOLED_SIZE); /* every page touched: the scan tries to read it in place */
    long page = sysconf(_SC_PAGESIZE);
    char *hole = (char *)(((uintptr_t)holed + 64 * 1024) & ~(uintptr_t)(page - 1));
    size_t after = (size_t)(hole + page + 64 - holed) & ~(size_t)7;
    memcpy(holed + 64, &a, sizeof a);
    memcpy(holed + after, &b, sizeof b);
    if (mprotect(hole, (size_t)page, PROT_NONE) != 0)
        return 1;
    printf("edge %d %zu %d start\n", HOLED_SIZE, sizeof *a, 64);
    printf("edge %d %zu %zu start\n", HOLED_SIZE, sizeof *b, after);
    a->next = b;
    a->inner = buf + 16;
    b->far = a;
    head = a;
    holed_root = holed;
    printf("edge %zu %zu %zu start\n", sizeof *a, sizeof *b, offsetof(struct rec, next));
    printf("edge %zu %d %zu interior\n", sizeof *a, BUF_SIZE, offsetof(struct rec, inner));
    printf("edge %zu %zu %zu start\n", sizeof *b, sizeof *a, offsetof(struct rec, far));
    fflush(stdout);
    if (api) {
        heaptrace_snapshot();
        usleep(300 * 1000); /* let the child finish while the blocks are still live */
        mprotect(hole, (size_t)page, PROT_READ | PROT_WRITE);
        free(holed);
        free(buf);
        free(b);
        free(a);
        head = NULL;
        holed_root = NULL;
    }
    return 0;
}
