/* SPDX-License-Identifier: MIT */
/* An arena reset and reused per request: each request bump-allocates 20..120
 * objects of 32..1055 B from 16 KiB chunks; the reset keeps the chunks for
 * the next request, so the arena stops at the chunks of its largest request.
 * The first request is the largest one (a warm-up): steady from there on. */
#include "scenario.h"

#define CHUNK 16384
struct chunk {
    struct chunk *next;
    size_t used;
    unsigned char data[CHUNK - 2 * sizeof(void *)];
};
static struct chunk *head, *cur; /* all chunks; the one being filled */

static struct chunk *arena_chunk(void)
{
    struct chunk *c = malloc(sizeof(*c));
    c->next = NULL;
    c->used = 0;
    if (cur)
        cur->next = c;
    else
        head = c;
    return c;
}

static void *arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!cur)
        cur = arena_chunk();
    while (cur->used + n > sizeof(cur->data)) {
        cur = cur->next ? cur->next : arena_chunk();
        cur->used = 0;
    }
    void *p = cur->data + cur->used;
    cur->used += n;
    return p;
}

/* Rewinds to the first chunk; nothing is freed. */
static void arena_reset(void)
{
    cur = head;
    if (cur)
        cur->used = 0;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    for (long i = 0; i < n; i++) {
        scen_work();
        int objs = i == 0 ? 120 : 20 + (int)(scen_rand() % 101);
        for (int k = 0; k < objs; k++) {
            size_t sz = i == 0 ? 1055 : 32 + scen_rand() % 1024;
            memset(arena_alloc(sz), k, sz);
        }
        arena_reset();
        scen_request_done();
    }
    long nchunks = 0;
    while (head) {
        struct chunk *c = head;
        head = c->next;
        free(c);
        nchunks++;
    }
    printf("arena_reuse %ld %ld\n", n, nchunks);
    return 0;
}
