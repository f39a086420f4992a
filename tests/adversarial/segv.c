/* SPDX-License-Identifier: MIT */
/*
 * segv.c - allocates, prints, then dies of a real segmentation fault (a
 * store through a null pointer). Natively: killed by SIGSEGV.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *p = malloc(100);
    printf("about to fault\n");
    fflush(stdout);
    free(p);
    *(volatile int *)NULL = 1;
    return 0;
}
