/* SPDX-License-Identifier: MIT */
/*
 * gate_leaked [leak]: a correct program that uses what every real program
 * does and leaves live at exit by design: stdio (stdout's buffer), threads
 * (created and joined), iconv (gconv modules glibc keeps cached) and
 * dlopen/dlclose. It frees everything it allocates itself, so
 * `heaptrace --gate 'leaked > 0'` must pass on it, while
 * `--gate 'live_at_exit > 0'` (the blocks merely live at exit) fails.
 * With "leak", it also loses 3 blocks of 64 bytes: the gate must fail.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *worker(void *arg)
{
    char *p = malloc(1000 + (size_t)arg);
    if (p) {
        memset(p, 1, 1000);
        free(p);
    }
    return NULL;
}

static __attribute__((noinline)) void lose(void)
{
    for (int i = 0; i < 3; i++) {
        void *volatile p = malloc(64);
        if (p)
            memset(p, 0, 64);
        p = NULL;
    }
}

int main(int argc, char **argv)
{
    printf("gate_leaked: stdio, threads, iconv, dlopen\n");
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    iconv_t cd = iconv_open("UTF-16LE", "ISO-8859-1");
    if (cd == (iconv_t)-1)
        return 1;
    char in[] = "caf\xe9", out[32], *ip = in, *op = out;
    size_t il = strlen(in), ol = sizeof out;
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
        return 1;
    iconv_close(cd);
    void *h = dlopen("libm.so.6", RTLD_NOW);
    if (!h)
        return 1;
    double (*cosine)(double) = (double (*)(double))dlsym(h, "cos");
    printf("cos(0) = %.1f, %zu bytes of UTF-16\n", cosine ? cosine(0) : -1.0, sizeof out - ol);
    dlclose(h);
    if (argc > 1 && strcmp(argv[1], "leak") == 0)
        lose();
    return 0;
}
