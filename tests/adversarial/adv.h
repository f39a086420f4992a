/* SPDX-License-Identifier: MIT */
/*
 * adv.h - what the adversarial programs share. Each program prints what it
 * sees (descriptor numbers, counts) on stdout and writes its own files in
 * its working directory; compare.sh runs it natively and traced and wants
 * the same. A marker is a block of a size nothing else allocates: the
 * driver looks for it in the log (`--marker SIZE`), so a log that lost the
 * events before a close, a fork or an exit fails.
 */
#ifndef ADV_H
#define ADV_H
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void *adv_marker(size_t size)
{
    char *p = malloc(size);
    if (p)
        memset(p, 1, size);
    return p;
}

/* Writes text into a new file of the working directory (or of dir). */
static inline int adv_write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? fd : -1;
}

#endif
