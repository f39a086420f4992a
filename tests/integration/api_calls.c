/* SPDX-License-Identifier: MIT */
/*
 * api_calls.c [plain] - heaptrace_ignore() and heaptrace_root() change the
 * leak classes: a 64-byte block dropped on purpose, and a 48-byte block held
 * only from memory the program mapped itself but read-only (so not a root on
 * its own). With the calls neither is lost; with "plain" both are (112 bytes).
 */
#include <heaptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int plain = argc > 1 && strcmp(argv[1], "plain") == 0;
    void **arena = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    arena[3] = malloc(48);
    mprotect(arena, 4096, PROT_READ); /* read-only mappings are not roots by themselves */
    if (!plain)
        heaptrace_root(arena, 4096);
    void *volatile cache = malloc(64);
    if (!plain)
        heaptrace_ignore(cache);
    cache = NULL;
    (void)!write(1, "api_calls\n", 10);
    return 0;
}
