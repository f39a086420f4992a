/* SPDX-License-Identifier: MIT */
/*
 * dlopen_loop.c - dlopen, dlsym, call, dlclose a small library 1000 times;
 * the library allocates from its function (see dlopen_lib.c), so the shim
 * must keep recording while the module list keeps changing.
 *
 *     dlopen_loop /path/to/libdlopen_lib.so
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 1000

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dlopen_loop LIBRARY\n");
        return 2;
    }
    unsigned long sum = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen_loop: %s\n", dlerror());
            return 1;
        }
        void *(*work)(unsigned) = (void *(*)(unsigned))dlsym(h, "dlopen_lib_work");
        if (!work) {
            fprintf(stderr, "dlopen_loop: %s\n", dlerror());
            return 1;
        }
        unsigned char *p = work(i);
        if (!p)
            return 1;
        sum += p[0];
        free(p);
        if (dlclose(h) != 0) {
            fprintf(stderr, "dlopen_loop: %s\n", dlerror());
            return 1;
        }
    }
    printf("%u rounds, sum %lu\n", ROUNDS, sum);
    return 0;
}
