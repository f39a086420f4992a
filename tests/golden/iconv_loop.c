/* SPDX-License-Identifier: MIT */
/*
 * iconv_loop.c - open 50 iconv handles from one call site, close the first
 * 30 and exit with 20 still open: the report's owners section must show
 * iconv_open with 20 live handles of 50 opened and the heap bytes behind
 * them. Closing the oldest handles leaves the one-time set-up glibc does on
 * the first iconv_open (owned by handle 0) out of the live bytes.
 */
#include <iconv.h>
#include <stdio.h>

#define OPENED 50
#define CLOSED 30

static iconv_t handles[OPENED];

__attribute__((noinline)) static int open_converters(void)
{
    for (int i = 0; i < OPENED; i++) {
        handles[i] = iconv_open("UTF-16LE", "UTF-8");
        if (handles[i] == (iconv_t)-1) {
            perror("iconv_open");
            return 1;
        }
    }
    return 0;
}

__attribute__((noinline)) static void close_converters(void)
{
    for (int i = 0; i < CLOSED; i++)
        iconv_close(handles[i]);
}

int main(void)
{
    if (open_converters() != 0)
        return 1;
    close_converters();
    printf("iconv_loop: %d open\n", OPENED - CLOSED);
    return 0;
}
