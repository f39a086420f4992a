/* SPDX-License-Identifier: MIT */
/*
 * diag.c - the shim's own messages: write(2) to stderr, no stdio, no malloc,
 * no strerror (which may allocate for a locale). Safe anywhere, including
 * inside malloc and in a fork child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ht.h"

size_t ht_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    while (src[n] && n + 1 < cap) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return n;
}

size_t ht_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/* Writes a, b, c and a newline to stderr in one write(2). */
void ht_diag(const char *a, const char *b, const char *c)
{
    char line[1024];
    size_t n = 0;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        for (const char *s = parts[i]; s && *s && n < sizeof line - 2; s++)
            line[n++] = *s;
    line[n++] = '\n';
    int saved = errno;
    ssize_t rc = write(STDERR_FILENO, line, n);
    (void)rc;
    errno = saved;
}

const char *ht_errname(int err)
{
    switch (err) {
    case ENOSPC: return "No space left on device";
    case EACCES: return "Permission denied";
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case EROFS: return "Read-only file system";
    case EDQUOT: return "Disk quota exceeded";
    case EIO: return "Input/output error";
    case EEXIST: return "File exists";
    case EFBIG: return "File too large";
    case EISDIR: return "Is a directory";
    case ENOTDIR: return "Not a directory";
    case ELOOP: return "Too many levels of symbolic links";
    case EMFILE: return "Too many open files";
    case ENOMEM: return "Cannot allocate memory";
    case EPIPE: return "Broken pipe";
    default: return "I/O error";
    }
}
