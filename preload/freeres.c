/* SPDX-License-Identifier: MIT */
/*
 * freeres.c - glibc's own blocks of threads that have ended, released at the
 * exit snapshot as glibc's __libc_freeres releases them.
 *
 * valgrind runs __libc_freeres before its leak check; LeakSanitizer
 * suppresses glibc's internal allocations. Calling __libc_freeres ourselves
 * is not safe here: other threads may still run (and use stdio, locales,
 * the loader) while the exit snapshot is taken. So only the part that makes
 * false leaks is done, and only in the log: the blocks of glibc's cache of
 * thread stacks. A thread that was joined or detached and has ended leaves
 * its stack, with its TCB, in that cache (not a root: the thread is gone),
 * and with it two kinds of heap blocks glibc frees when it reuses the stack
 * or in __libc_freeres: the thread's DTV (allocate_dtv, calloc'd by
 * pthread_create) and the dynamic TLS blocks the DTV names (a dlopened
 * library's __thread variables, allocate_dtv_entry). Those are recorded as
 * freed just before the exit snapshot; the live blocks they point to are
 * then what they are under valgrind (a block the program kept only in a
 * dead thread's __thread variable is lost). Nothing of the host changes.
 *
 * Which threads: process.c's table of thread pointers says which were
 * released; one whose pointer a live thread uses again has had its stack
 * taken from the cache (the DTV is that thread's now). A TCB is trusted only
 * if its DTV looks like glibc's: a length word in range right before it, in
 * a malloc chunk of the size allocate_dtv asks for. x86-64 only (where the
 * TCB keeps the DTV pointer in its second word); elsewhere nothing is done.
 */
#define _GNU_SOURCE
#include <string.h>

#include "ht.h"

#define DTV_MAX 65536 /* a DTV's length word beyond this is not one */

static bool read_word(uint64_t addr, uint64_t *v)
{
    return ht_snap_read((uint8_t *)v, addr, 8) == 8;
}

static bool tp_is_live(uint64_t tp)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next)
        if (!t->is_writer && t->tp == tp && atomic_load(&t->state) == HT_TS_LIVE)
            return true;
    return false;
}

/* dtv (the TCB's pointer: the array's second entry) of a thread glibc
 * made: its length word, and malloc's chunk of (length + 2) * 16 bytes. */
static bool dtv_length(uint64_t dtv, uint64_t *len)
{
    uint64_t chunk;
    if (dtv < 32 || (dtv & 15) || !read_word(dtv - 16, len) || *len == 0 || *len > DTV_MAX ||
        !read_word(dtv - 24, &chunk))
        return false;
    uint64_t want = (*len + 2) * 16, have = chunk & ~7ull;
    return have >= want + 8 && have <= want + 48;
}

static void record_freed(uint64_t addr)
{
    if (ht_enter()) {
        ht_rec_free((void *)(uintptr_t)addr);
        ht_leave();
    }
}

static void release_cached(void *arg, uint64_t tp, bool released)
{
    (void)arg;
    uint64_t dtv, len;
    if (!released || tp_is_live(tp) || !read_word(tp + 8, &dtv) || !dtv_length(dtv, &len))
        return;
    for (uint64_t i = 1; i <= len; i++) {
        uint64_t entry[2]; /* the module's TLS block, and what to free (dynamic TLS only) */
        if (ht_snap_read((uint8_t *)entry, dtv + 16 * i, 16) != 16)
            break;
        if (entry[1] && entry[0] != UINT64_MAX)
            record_freed(entry[1]);
    }
    record_freed(dtv - 16);
}

void ht_freeres_thread_cache(void)
{
#if defined(__x86_64__)
    ht_process_each_tp(release_cached, NULL);
#endif
}
