/* SPDX-License-Identifier: MIT */
/*
 * gotpatch.c - routing a running program's allocation calls through our
 * wrappers when the library was loaded late (heaptrace attach), not preloaded.
 *
 * A preloaded library interposes by coming first in the loader's search
 * order. A library dlopened into a running process comes last, and every
 * call already bound goes on to libc (or jemalloc). So for each loaded object
 * but ourselves and the loader, we rewrite the slots its relocations bound to
 * the functions we wrap: JUMP_SLOT and GLOB_DAT entries (the GOT), and plain
 * R_X86_64_64 function pointers in data that hold the real address (a table
 * such as { malloc, free } a library hands to another). A slot in the RELRO
 * part is made writable for the store and read-only again. Every slot keeps
 * its old value, so ht_gotpatch_undo puts the program back exactly as it was.
 *
 * Libraries loaded later: ht_gotpatch_new patches objects not seen yet. It
 * runs when the loader's counters move (modules.c) and from attach.c's timer
 * thread, so a library's own constructors run unpatched (not traced).
 *
 * Each store is one aligned 8-byte write: a thread calling through the slot
 * at that moment gets either function, both of which work. Our wrappers
 * forward to the same functions the slots held (ht_real, resolved globally in
 * attach mode), so a block allocated before the patch and freed after it is
 * just a free of an unknown block (dropped by the writer), and the reverse
 * after ht_gotpatch_undo is a block that was never freed in the log.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>

#include "ht.h"

/* The wrappers we route to (all exported by the library). */
static const char *const wrapped[] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
    "memalign", "valloc", "pvalloc", "mmap", "mmap64", "munmap", "mremap", "dlopen", "dlclose",
    "iconv_open", "iconv_close", "fopen", "fopen64", "fdopen", "fmemopen", "open_memstream",
    "fclose", "opendir", "fdopendir", "closedir", "newlocale", "duplocale", "freelocale",
    "regcomp", "regfree", "_exit", "_Exit",
    /* libunwind's only: its probe pipe becomes numbers, not descriptors (unwind.c) */
    "pipe2", "syscall"};
#define FIRST_UNWIND_ONLY 34
#define NWRAPPED (sizeof wrapped / sizeof wrapped[0])
_Static_assert(NWRAPPED == FIRST_UNWIND_ONLY + 2, "pipe2 and syscall come last");

static uint64_t ours[NWRAPPED];  /* our wrapper's address */
static uint64_t reals[NWRAPPED]; /* what the program binds the name to */

struct slot {
    uint64_t addr, old; /* the slot, and what it held */
    uint64_t base;      /* its object's load address: undone only while loaded */
};
static struct slot *slots;
static size_t nslots, slots_cap;
static uint64_t *bases; /* objects already patched */
static size_t nbases, bases_cap;
static _Atomic int lock; /* a spin lock of our own: never held across a call that waits */
static bool ready, undone; /* ht_gotpatch_init found our wrappers; all put back */
static uint64_t self_base;

static bool grow(void **p, size_t *cap, size_t used, size_t elem)
{
    if (used < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 256;
    void *n = ht_mem_realloc(*p, ncap * elem);
    if (!n)
        return false;
    *p = n;
    *cap = ncap;
    return true;
}

static int wrapped_index(const char *name)
{
    for (size_t i = 0; i < NWRAPPED; i++)
        if (strcmp(name, wrapped[i]) == 0)
            return (int)i;
    return -1;
}

struct dyn_info {
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Rela) *rela, *jmprel;
    size_t relasz, jmprelsz;
    uint64_t relro_lo, relro_hi; /* pages made read-only by the loader */
};

/* The loader has relocated most d_ptr entries in place on x86-64, but not
 * everywhere (and not in the vDSO): an address below the base is relative. */
static uint64_t dyn_ptr(uint64_t base, uint64_t v)
{
    return v < base ? v + base : v;
}

static bool read_dynamic(const struct dl_phdr_info *info, struct dyn_info *d)
{
    memset(d, 0, sizeof *d);
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
        if (ph->p_type == PT_GNU_RELRO) {
            d->relro_lo = (info->dlpi_addr + ph->p_vaddr) & ~(uint64_t)4095;
            d->relro_hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(uint64_t)4095;
        }
    }
    if (!dyn)
        return false;
    uint64_t b = info->dlpi_addr;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: d->symtab = (const void *)dyn_ptr(b, dyn->d_un.d_ptr); break;
        case DT_STRTAB: d->strtab = (const void *)dyn_ptr(b, dyn->d_un.d_ptr); break;
        case DT_RELA: d->rela = (const void *)dyn_ptr(b, dyn->d_un.d_ptr); break;
        case DT_RELASZ: d->relasz = dyn->d_un.d_val; break;
        case DT_JMPREL: d->jmprel = (const void *)dyn_ptr(b, dyn->d_un.d_ptr); break;
        case DT_PLTRELSZ: d->jmprelsz = dyn->d_un.d_val; break;
        default: break;
        }
    }
    return d->symtab && d->strtab;
}

/* One aligned store, through a writable window if the page is RELRO. */
static void store_slot(const struct dyn_info *d, uint64_t addr, uint64_t value)
{
    uint64_t page = addr & ~(uint64_t)4095;
    bool relro = page >= d->relro_lo && page < d->relro_hi;
    if (relro && mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) != 0)
        return;
    __atomic_store_n((uint64_t *)addr, value, __ATOMIC_RELEASE);
    if (relro)
        mprotect((void *)page, 4096, PROT_READ);
}

static void patch_table(const struct dyn_info *d, uint64_t base, const ElfW(Rela) *r, size_t size,
                        bool unwind)
{
    for (size_t i = 0; r && i < size / sizeof *r; i++) {
        unsigned type = (unsigned)ELF64_R_TYPE(r[i].r_info);
        size_t symi = ELF64_R_SYM(r[i].r_info);
        if (!symi || (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
                      type != R_X86_64_64))
            continue;
        int w = wrapped_index(d->strtab + d->symtab[symi].st_name);
        if (w < 0 || !ours[w] || (w >= FIRST_UNWIND_ONLY && !unwind))
            continue;
        uint64_t addr = base + r[i].r_offset;
        uint64_t old = __atomic_load_n((uint64_t *)addr, __ATOMIC_ACQUIRE);
        /* A data pointer is ours to change only when it is the function itself. */
        if (type == R_X86_64_64 && (r[i].r_addend != 0 || old != reals[w]))
            continue;
        if (old == ours[w] || !grow((void **)&slots, &slots_cap, nslots, sizeof *slots))
            continue;
        slots[nslots++] = (struct slot){addr, old, base};
        store_slot(d, addr, ours[w]);
    }
}

static bool seen(uint64_t base)
{
    for (size_t i = 0; i < nbases; i++)
        if (bases[i] == base)
            return true;
    return false;
}

static bool skipped(const struct dl_phdr_info *info)
{
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (info->dlpi_addr == self_base)
        return true;
    /* the loader's own allocations are its minimal malloc's or go through
     * libc's by pointers it set itself; the vDSO has no relocations */
    return strstr(name, "/ld-linux") || strstr(name, "linux-vdso") || strstr(name, "linux-gate");
}

static int patch_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    uint64_t base = info->dlpi_addr;
    if (seen(base) || skipped(info) || !grow((void **)&bases, &bases_cap, nbases, sizeof *bases))
        return 0;
    bases[nbases++] = base;
    struct dyn_info d;
    if (!read_dynamic(info, &d))
        return 0;
    bool unwind = info->dlpi_name && strstr(info->dlpi_name, "libunwind");
    patch_table(&d, base, d.jmprel, d.jmprelsz, unwind);
    patch_table(&d, base, d.rela, d.relasz, unwind);
    return 0;
}

/* Never waits: whoever holds it may be inside the loader's lock, or be us
 * (a constructor of a library being patched allocates). */
static bool lock_try(void)
{
    return !atomic_exchange_explicit(&lock, 1, memory_order_acquire);
}

static void lock_drop(void)
{
    atomic_store_explicit(&lock, 0, memory_order_release);
}

bool ht_gotpatch_init(void)
{
    Dl_info self;
    if (!dladdr((void *)(uintptr_t)&ht_gotpatch_init, &self) || !self.dli_fname)
        return false;
    self_base = (uint64_t)(uintptr_t)self.dli_fbase;
    /* Our own handle: dlsym through it finds our definitions, not the
     * program's (our own references to these names bind globally). */
    void *h = dlopen(self.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return false;
    for (size_t i = 0; i < NWRAPPED; i++) {
        ours[i] = (uint64_t)(uintptr_t)dlsym(h, wrapped[i]);
        reals[i] = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, wrapped[i]);
        Dl_info where;
        if (ours[i] && (!dladdr((void *)(uintptr_t)ours[i], &where) ||
                        (uint64_t)(uintptr_t)where.dli_fbase != self_base))
            ours[i] = 0; /* not our definition after all: leave that name alone */
    }
    dlclose(h); /* -z nodelete: only the reference goes */
    ready = ours[0] != 0;
    return ready;
}

void ht_gotpatch_new(void)
{
    if (!ready || !lock_try())
        return; /* not started, or someone is patching now: the timer thread comes back */
    if (!undone)
        dl_iterate_phdr(patch_object, NULL);
    lock_drop();
}

static int undo_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    struct dyn_info d;
    if (!read_dynamic(info, &d))
        return 0;
    for (size_t i = 0; i < nslots; i++) {
        if (slots[i].base != info->dlpi_addr)
            continue;
        /* only where it still holds ours: the program may have rebound it */
        uint64_t now = __atomic_load_n((uint64_t *)slots[i].addr, __ATOMIC_ACQUIRE);
        for (size_t w = 0; w < NWRAPPED; w++)
            if (now == ours[w] && now) {
                store_slot(&d, slots[i].addr, slots[i].old);
                break;
            }
    }
    return 0;
}

size_t ht_gotpatch_undo(void)
{
    while (!lock_try())
        __builtin_ia32_pause(); /* only the timer thread undoes: a patch is finishing */
    size_t n = nslots;
    if (!undone)
        dl_iterate_phdr(undo_object, NULL); /* objects unloaded since are skipped */
    undone = true;
    lock_drop();
    return n;
}

size_t ht_gotpatch_count(void)
{
    return nslots;
}
