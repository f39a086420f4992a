/* SPDX-License-Identifier: MIT */
/*
 * altstack_malloc.c - a SIGUSR1 handler that allocates, running on a small
 * alternate signal stack (sigaltstack; 8 KiB by default, or argv[1] bytes).
 * Allocating from a handler is not async-signal-safe, but programs do it,
 * and natively it works while the handler leaves the stack enough room.
 * The stack is painted first: with argv[2] = "measure", it prints how many
 * bytes of it the deepest handler call used (not part of the test's
 * output, which must equal the native run's); argv[3] = "small" makes the
 * handler allocate only 16 bytes (natively a cache hit: little stack), so
 * that the difference to the native run is the tracer's own use.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int handled, small;
static char *volatile handler_frame;

static void on_usr1(int sig)
{
    (void)sig;
    handler_frame = __builtin_frame_address(0);
    if (small) { /* measure: the cheapest allocation (a tcache hit natively) */
        free(malloc(16));
        handled++;
        return;
    }
    void *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = malloc((size_t)(16 << i));
    p[0] = realloc(p[0], 5000);
    for (int i = 0; i < 8; i++)
        free(p[i]);
    handled++;
}

int main(int argc, char **argv)
{
    size_t size = argc > 1 ? (size_t)atol(argv[1]) : 8192;
    small = argc > 3 && strcmp(argv[3], "small") == 0;
    char *mem = malloc(size);
    memset(mem, 0xa5, size);
    stack_t ss = {.ss_sp = mem, .ss_size = size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    for (int i = 0; i < 100; i++)
        raise(SIGUSR1);
    if (argc > 2 && strcmp(argv[2], "measure") == 0) {
        size_t untouched = 0;
        while (untouched < size && (unsigned char)mem[untouched] == 0xa5)
            untouched++;
        fprintf(stderr, "altstack: %zu of %zu bytes used, %zu below the handler's frame\n",
                size - untouched, size, (size_t)(handler_frame - (mem + untouched)));
    }
    printf("handled %d\n", handled);
    return 0;
}
