/* SPDX-License-Identifier: MIT */
/*
 * real.c - finding the allocator that comes after us, and surviving until then.
 *
 * The real functions are whatever dlsym(RTLD_NEXT) finds: glibc's malloc, or
 * jemalloc's/tcmalloc's when the program links one (redis does). dlsym itself
 * calls calloc (for its dlerror state), which lands back in our calloc before
 * ht_real is filled in; those early requests are served from a static bump
 * arena. Arena blocks are never freed (free() recognises and ignores them) and
 * carry a size header so realloc can copy out of them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ht.h"

struct ht_real ht_real;

#define BOOT_ARENA_SIZE (256 * 1024)
static struct boot_state {
    unsigned char *_Atomic arena; /* mapped on first use (ht_mem_once) */
    _Atomic size_t used;
} boot;

void *ht_boot_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    unsigned char *arena = HT_MEM_ONCE(&boot.arena, BOOT_ARENA_SIZE);
    uintptr_t base = (uintptr_t)arena;
    for (;;) {
        size_t used = atomic_load(&boot.used);
        /* aligned as an address, not as an offset into the arena (whose own
         * alignment is a page plus ht_mem's header), with room for the header */
        size_t start = (size_t)(((base + used + 16 + align - 1) & ~(uintptr_t)(align - 1)) - base);
        if (!arena || size > BOOT_ARENA_SIZE || start + size > BOOT_ARENA_SIZE) {
            ht_diag("heaptrace: bootstrap arena exhausted before the allocator was found", "", "");
            syscall(SYS_exit_group, HT_EXIT_SHIM_BOOTSTRAP); /* not our _exit: nothing is resolved */
        }
        if (atomic_compare_exchange_weak(&boot.used, &used, start + size)) {
            memcpy(arena + start - sizeof(size_t), &size, sizeof size);
            return arena + start; /* fresh mapping: already zero */
        }
    }
}

bool ht_boot_owns(const void *p)
{
    const unsigned char *c = p, *arena = atomic_load(&boot.arena);
    return arena && c >= arena && c < arena + BOOT_ARENA_SIZE;
}

size_t ht_boot_size(const void *p)
{
    size_t size;
    memcpy(&size, (const unsigned char *)p - sizeof(size_t), sizeof size);
    return size;
}

/* Preloaded, the real functions come after us; dlopened by heaptrace
 * attach, after everyone: the program's own bindings are the real ones. */
static void *real_scope(void)
{
    return ht_attach_mode ? RTLD_DEFAULT : RTLD_NEXT;
}

void *ht_real_next(const char *name)
{
    return dlsym(real_scope(), name);
}

#define HT_NEXT_NAME(name) #name,
static const char *const next_names[HT_NEXT_COUNT] = {HT_NEXT_LIST(HT_NEXT_NAME)};
void *ht_next[HT_NEXT_COUNT];

void *ht_next_resolve(enum ht_next_id id)
{
    ht_guard++;
    void *sym = dlsym(real_scope(), next_names[id]);
    ht_guard--;
    if (!sym) {
        ht_diag("heaptrace: cannot find the real '", next_names[id], "'");
        syscall(SYS_exit_group, HT_EXIT_SHIM_BOOTSTRAP); /* not our _exit: nothing is resolved */
    }
    ht_next[id] = sym;
    return sym;
}

#define RESOLVE(field, name)                                                                       \
    do {                                                                                           \
        void *sym_ = dlsym(real_scope(), name);                                                    \
        memcpy(&field, &sym_, sizeof sym_);                                                        \
    } while (0)

void ht_real_resolve(void)
{
    struct ht_real r;
    memset(&r, 0, sizeof r);
    RESOLVE(r.malloc, "malloc");
    RESOLVE(r.free, "free");
    RESOLVE(r.calloc, "calloc");
    RESOLVE(r.realloc, "realloc");
    RESOLVE(r.reallocarray, "reallocarray");
    RESOLVE(r.posix_memalign, "posix_memalign");
    RESOLVE(r.aligned_alloc, "aligned_alloc");
    RESOLVE(r.memalign, "memalign");
    RESOLVE(r.valloc, "valloc");
    RESOLVE(r.pvalloc, "pvalloc");
    RESOLVE(r.malloc_usable_size, "malloc_usable_size");
    if (!r.malloc || !r.free || !r.calloc || !r.realloc) {
        ht_diag("heaptrace: cannot find the real malloc: ", dlerror(), "");
        syscall(SYS_exit_group, HT_EXIT_SHIM_BOOTSTRAP); /* not our _exit: nothing is resolved */
    }
    for (int i = 0; i < HT_NEXT_COUNT; i++)
        ht_next[i] = dlsym(real_scope(), next_names[i]);
    /* Publish malloc last: a non-NULL ht_real.malloc means "all resolved". */
    void *(*m)(size_t) = r.malloc;
    r.malloc = NULL;
    ht_real = r;
    atomic_thread_fence(memory_order_release);
    ht_real.malloc = m;
}
