/* SPDX-License-Identifier: MIT */
/*
 * unwind_paths.c - reaches malloc through every kind of frame the unwinder
 * meets: deep recursion in frame-pointer code, libc calling back into us
 * (qsort), libc allocating on its own (fopen, strdup, iconv_open), a signal
 * handler, and a second thread. Deterministic: the same stacks every run, so
 * unwind_same.sh can compare the hybrid unwinder against plain libunwind.
 */
#define _GNU_SOURCE
#include <iconv.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME __attribute__((noinline, noipa))

static void *volatile sink;

FRAME static void leaf_alloc(size_t n)
{
    sink = malloc(n);
    free(sink);
}

FRAME static void recurse(int depth)
{
    if (depth == 0)
        leaf_alloc(24);
    else
        recurse(depth - 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

FRAME static int by_value(const void *a, const void *b)
{
    leaf_alloc(40);
    return *(const int *)a - *(const int *)b;
}

FRAME static void via_libc(void)
{
    int v[8] = {5, 3, 7, 1, 8, 2, 6, 4};
    qsort(v, 8, sizeof v[0], by_value);
    FILE *f = fopen("/dev/null", "r");
    if (f)
        fclose(f);
    char *s = strdup("heaptrace");
    free(s);
    iconv_t cd = iconv_open("UTF-8", "ISO-8859-1");
    if (cd != (iconv_t)-1)
        iconv_close(cd);
}

FRAME static void on_signal(int sig)
{
    (void)sig;
    leaf_alloc(56);
}

FRAME static void *thread_main(void *arg)
{
    (void)arg;
    recurse(12);
    via_libc();
    return NULL;
}

int main(void)
{
    for (int i = 0; i < 3; i++) {
        recurse(30);
        via_libc();
    }
    signal(SIGUSR1, on_signal);
    raise(SIGUSR1);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    puts("unwind_paths done");
    return 0;
}
