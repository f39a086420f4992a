/* SPDX-License-Identifier: MIT */
/* A leak on one code path: every 7th request fails, and the error path
 * forgets to release its 1 KiB context (kept on a list only for teardown). */
#include "scenario.h"

struct ctx {
    struct ctx *next;
    char buf[1016];
};
static struct ctx *lost;

static void handle_error(long i)
{
    struct ctx *c = malloc(sizeof(*c));
    snprintf(c->buf, sizeof(c->buf), "failed %ld", i);
    c->next = lost; /* the bug: should be freed here */
    lost = c;
}

static void handle_ok(long i)
{
    struct ctx *c = malloc(sizeof(*c));
    snprintf(c->buf, sizeof(c->buf), "ok %ld", i);
    scen_sink += (uint64_t)c->buf[0];
    free(c);
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    for (long i = 0; i < n; i++) {
        scen_work();
        if (i % 7 == 3)
            handle_error(i);
        else
            handle_ok(i);
        scen_request_done();
    }
    while (lost) {
        struct ctx *c = lost;
        lost = c->next;
        free(c);
    }
    printf("nth_leak %ld\n", n);
    return 0;
}
