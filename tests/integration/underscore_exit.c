/* SPDX-License-Identifier: MIT */
/*
 * underscore_exit.c - allocates, then leaves through _exit(3): no atexit
 * handlers, no destructors. Status 3 must pass through, and the log must
 * still end with END reason 1 (HT_END_UNDERSCORE_EXIT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 100; i++) {
        char *p = malloc(4200 + (size_t)i);
        if (!p)
            return 1;
        p[0] = 1;
        if (i % 2)
            free(p);
    }
    printf("leaving through _exit(3)\n");
    fflush(stdout);
    _exit(3);
}
