/* SPDX-License-Identifier: MIT */
/*
 * maps.c - /proc/self/maps and statm, read into a stack buffer: no stdio, no
 * malloc, so it works inside malloc and in a snapshot child. In the traced
 * process the sink reads them (ht_proc_*): no descriptor of ours appears in
 * the program's table, even for a moment.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ht.h"

static uint64_t hex(const char **p, char stop)
{
    uint64_t v = 0;
    for (; **p && **p != stop; (*p)++)
        v = v * 16 + (uint64_t)(**p <= '9' ? **p - '0' : (**p | 32) - 'a' + 10);
    return v;
}

/* "lo-hi perms ...": calls fn for the mapping; its result. */
static bool one_line(const char *line, ht_maps_fn *fn, void *arg)
{
    const char *p = line;
    uint64_t lo = hex(&p, '-');
    if (*p)
        p++;
    uint64_t hi = hex(&p, ' ');
    bool readable = p[0] && p[1] == 'r', writable = readable && p[2] == 'w';
    return fn(arg, lo, hi, readable, writable);
}

void ht_maps_each(ht_maps_fn *fn, void *arg)
{
    if (ht_sandboxed()) /* a seccomp filter may kill an open (sandbox.c): none seen */
        return;
    struct ht_proc f;
    if (!ht_proc_open(&f, "maps"))
        return;
    /* Not on the stack: a thread's first event may run on a handler's small
     * sigaltstack. Not smaller either: each read of /proc/self/maps walks
     * the process's mappings again. */
    struct ht_thread *t = ht_self;
    char local[256];
    char *buf = t ? t->maps_buf : local;
    size_t cap = t ? sizeof t->maps_buf : sizeof local;
    size_t have = 0;
    bool skipping = false; /* the rest of a line longer than the buffer */
    for (;;) {
        long got = ht_proc_read(&f, buf + have, cap - 1 - have);
        if (got <= 0)
            break;
        have += (size_t)got;
        buf[have] = '\0';
        char *line = buf, *nl;
        if (skipping) {
            nl = memchr(buf, '\n', have);
            if (!nl) {
                have = 0;
                continue;
            }
            skipping = false;
            line = nl + 1;
        }
        while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
            if (!one_line(line, fn, arg)) {
                ht_proc_close(&f);
                return;
            }
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (have >= cap - 1) { /* a line longer than the buffer: only its start counts */
            if (!one_line(buf, fn, arg)) {
                ht_proc_close(&f);
                return;
            }
            have = 0;
            skipping = true;
        }
    }
    ht_proc_close(&f);
}

uint64_t ht_rss_now(void)
{
    char buf[128];
    struct ht_proc f;
    if (!ht_proc_open(&f, "statm"))
        return 0;
    long r = ht_proc_read(&f, buf, sizeof buf - 1);
    ht_proc_close(&f);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    const char *s = buf; /* "size resident shared ...", in pages */
    while (*s && *s != ' ')
        s++;
    uint64_t pages = 0;
    for (s++; *s >= '0' && *s <= '9'; s++)
        pages = pages * 10 + (uint64_t)(*s - '0');
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}
