/* SPDX-License-Identifier: MIT */
/* Linear growth: every request remembers a 256-byte record, kept until exit. */
#include "scenario.h"

struct record {
    struct record *next;
    char data[248];
};
static struct record *history;

static void remember_request(long i)
{
    struct record *r = malloc(sizeof(*r));
    snprintf(r->data, sizeof(r->data), "request %ld", i);
    r->next = history;
    history = r;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    for (long i = 0; i < n; i++) {
        scen_work();
        remember_request(i);
        scen_request_done();
    }
    while (history) {
        struct record *r = history;
        history = r->next;
        free(r);
    }
    printf("linear_leak %ld\n", n);
    return 0;
}
