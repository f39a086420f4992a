/* SPDX-License-Identifier: MIT */
/*
 * nepotism.c - a linked queue whose removed nodes keep their `next` link
 * (GC nepotism, ../shared/background/gc-nepotism-linked-queues.txt), for
 * tables_case.sh. One thread; each request enqueues a message and dequeues
 * the oldest once BACKLOG are waiting. The first message is kept for
 * diagnostics in the global g_last_urgent.
 *
 *   nepotism leaky N    a dequeued node keeps `next`: the kept message
 *                       holds every later node, a chain growing by one per
 *                       request (the queue frees nothing it unlinks: the
 *                       chain is what the program would still reach);
 *   nepotism correct N  a dequeued node's link is cleared and the node
 *                       freed unless it is the kept one: the chain stays
 *                       at BACKLOG.
 * A mark per request. With a third argument `teardown`, the program then
 * frees the older half of what it keeps and asks for a snapshot
 * (heaptrace_snapshot): a leak caught halfway through the teardown, which
 * must not hide the growth before it.
 */
#include <heaptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKLOG 64

struct node {
    struct node *next; /* +0 */
    long seq;
    char payload[48];
};

static struct node *head, *tail; /* head: the oldest waiting */
struct node *g_last_urgent;

__attribute__((noinline)) static struct node *node_new(long seq)
{
    struct node *n = malloc(sizeof(*n));
    n->next = NULL;
    n->seq = seq;
    memset(n->payload, 'm', sizeof(n->payload));
    return n;
}

int main(int argc, char **argv)
{
    int correct = argc > 1 && strcmp(argv[1], "correct") == 0;
    long n = argc > 2 ? atol(argv[2]) : 2000, waiting = 0;
    for (long i = 0; i < n; i++) {
        struct node *m = node_new(i);
        if (tail)
            tail->next = m;
        else
            head = m;
        tail = m;
        if (++waiting > BACKLOG) {
            struct node *old = head;
            head = old->next;
            waiting--;
            if (old->seq == 0)
                g_last_urgent = old; /* kept: with its link, it keeps the rest */
            if (correct) {
                old->next = NULL;
                if (old != g_last_urgent)
                    free(old);
            }
        }
        heaptrace_mark("request");
    }
    if (argc > 3 && strcmp(argv[3], "teardown") == 0 && g_last_urgent) {
        long kept = 0;
        for (struct node *k = g_last_urgent; k; k = k->next)
            kept++;
        for (long i = 0; i < kept / 2; i++) {
            struct node *next = g_last_urgent->next;
            free(g_last_urgent);
            g_last_urgent = next;
        }
        heaptrace_snapshot();
    }
    printf("nepotism %s %ld\n", correct ? "correct" : "leaky", n);
    return 0;
}
