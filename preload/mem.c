/* SPDX-License-Identifier: MIT */
/*
 * mem.c - memory for the shim's own state, straight from mmap.
 *
 * The shim must add nothing to the host's heap profile and must not depend on
 * the host's allocator being in a sane state, so its tables, buffers and
 * zstd's workspace come from here. Each block has a 16-byte header with its
 * mapping size; blocks are few and large, so page granularity is fine.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ht.h"

#define HDR 16u

/* Raw syscalls: our own mappings must not pass through the mmap interposer. */
void *ht_sys_mmap(size_t len)
{
    long r = syscall(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return (r < 0 && r > -4096) ? NULL : (void *)r;
}

void ht_sys_munmap(void *p, size_t len)
{
    syscall(SYS_munmap, p, len);
}

static size_t map_size(size_t size)
{
    return (size + HDR + 4095) & ~(size_t)4095;
}

void *ht_mem_alloc(size_t size)
{
    size_t len = map_size(size);
    void *m = ht_sys_mmap(len);
    if (!m)
        return NULL;
    memcpy(m, &len, sizeof len);
    return (char *)m + HDR;
}

/*
 * For big tables read at random (the live table, a snapshot's index): huge
 * pages where the system grants them on request save a TLB miss on nearly
 * every access, and a fork copies one entry per 2 MiB instead of 512.
 */
void *ht_mem_alloc_huge(size_t size)
{
    uint8_t *p = ht_mem_alloc(size);
    uintptr_t huge = 2u << 20;
    if (p && size >= 2 * huge) {
        uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
        uintptr_t e = ((uintptr_t)p + size) & ~(huge - 1);
        if (a < e)
            syscall(SYS_madvise, (void *)a, e - a, MADV_HUGEPAGE);
    }
    return p;
}

/*
 * Our big tables are mapped, not static: a conservative collector in the
 * program (libgc) scans the writable segments of every library as roots, so
 * a large .bss would make it collect less often than it does without us,
 * and any address in it would keep an object alive.
 */
void *ht_mem_once(void *_Atomic *slot, size_t size)
{
    void *p = atomic_load_explicit(slot, memory_order_acquire);
    if (p)
        return p;
    void *fresh = ht_mem_alloc(size);
    if (!fresh)
        return NULL;
    if (atomic_compare_exchange_strong(slot, &p, fresh))
        return fresh;
    ht_mem_free(fresh); /* another thread made it meanwhile: p is theirs */
    return p;
}

void *ht_mem_realloc(void *p, size_t size)
{
    if (!p)
        return ht_mem_alloc(size);
    char *m = (char *)p - HDR;
    size_t old;
    memcpy(&old, m, sizeof old);
    size_t len = map_size(size);
    if (len <= old)
        return p;
    long r = syscall(SYS_mremap, m, old, len, MREMAP_MAYMOVE);
    if (r < 0 && r > -4096)
        return NULL;
    void *n = (void *)r;
    memcpy(n, &len, sizeof len);
    return (char *)n + HDR;
}

void ht_mem_free(void *p)
{
    if (!p)
        return;
    char *m = (char *)p - HDR;
    size_t len;
    memcpy(&len, m, sizeof len);
    ht_sys_munmap(m, len);
}
