/* SPDX-License-Identifier: MIT */
/*
 * dlopen_alloc.c - dlopen a library, call its allocating function, dlclose
 * it, then exit with the block it returned still allocated: the report must
 * name the library's function and file:line although the library was
 * unmapped long before the end of the run.
 *
 *     dlopen_alloc /path/to/golden_dlopen_lib.so
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *leaked;

__attribute__((noinline)) static int call_plugin(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen_alloc: %s\n", dlerror());
        return 1;
    }
    void *(*work)(int) = (void *(*)(int))dlsym(h, "plugin_work");
    if (!work) {
        fprintf(stderr, "dlopen_alloc: %s\n", dlerror());
        return 1;
    }
    leaked = work(9);
    if (dlclose(h) != 0) {
        fprintf(stderr, "dlopen_alloc: %s\n", dlerror());
        return 1;
    }
    return leaked ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dlopen_alloc LIBRARY\n");
        return 2;
    }
    char *mine = malloc(200);
    if (call_plugin(argv[1]) != 0)
        return 1;
    free(mine);
    printf("dlopen_alloc: done\n");
    return 0;
}
