/* SPDX-License-Identifier: MIT */
/*
 * counts.c - known numbers of allocation calls from distinct functions at
 * known lines; the golden report must show each site with its count, sizes,
 * function name and file:line. Line numbers are part of the expected files:
 * moving a call means running UPDATE_GOLDEN=1 (see README.md).
 *
 *   make_blocks   100 x malloc(64), 60 freed, 40 leaked
 *   make_arrays    10 x calloc(25, 8), all freed
 *   grow           1 malloc(16), then 5 reallocs to 32, 64, ... 512; leaked
 *   make_strings   7 x malloc(100), leaked
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *blocks[100];
static void *arrays[10];
static char *strings[7];
static char *grown;

__attribute__((noinline)) static void make_blocks(void)
{
    for (int i = 0; i < 100; i++)
        blocks[i] = malloc(64);
}

__attribute__((noinline)) static void make_arrays(void)
{
    for (int i = 0; i < 10; i++)
        arrays[i] = calloc(25, 8);
}

__attribute__((noinline)) static void grow(void)
{
    grown = malloc(16);
    for (size_t n = 32; n <= 512; n *= 2)
        grown = realloc(grown, n);
}

__attribute__((noinline)) static void make_strings(void)
{
    for (int i = 0; i < 7; i++) {
        strings[i] = malloc(100);
        if (strings[i])
            snprintf(strings[i], 100, "string %d", i);
    }
}

__attribute__((noinline)) static void release(void)
{
    for (int i = 0; i < 60; i++)
        free(blocks[i]);
    for (int i = 0; i < 10; i++)
        free(arrays[i]);
}

int main(void)
{
    make_blocks();
    make_arrays();
    grow();
    make_strings();
    release();
    printf("counts: done\n");
    return 0;
}
