/* SPDX-License-Identifier: MIT */
/*
 * modules.c - the module map (path, load base, GNU build-id, PT_LOAD segments)
 * encoded as a MODULES payload, and the shim's own text range.
 *
 * Everything is read from memory through dl_iterate_phdr: no file is opened,
 * nothing is allocated. Symbolization happens offline in the analyzer.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

uint64_t ht_self_lo, ht_self_hi; /* the shim's executable segment */

struct encode_ctx {
    uint8_t *p, *end;
    uint64_t count;
    size_t nranges;
    bool overflow;
};

/* Executable ranges of the last encoded map: lets the writer notice a stack
 * from a module it has not described yet (libc dlopens gconv modules itself,
 * past our dlopen wrapper). Written under refresh_lock or the modules lock;
 * a racy read costs at worst one extra snapshot. */
#define MAX_RANGES 2048
struct range {
    uint64_t lo, hi;
};

static struct modules_state {
    char exe_path[1024]; /* the program's, read once */
    struct range *_Atomic ranges; /* MAX_RANGES, mapped on first use */
    _Atomic size_t nranges;
    /* glibc's static TLS size (ld.so) and TCB size (libc), for ht_modules_tls_span:
     * looked up at start, since dlsym resets the program's dlerror() state. */
    void (*tls_static_info)(size_t *, size_t *);
    const unsigned *tls_tcb_size;
    /* noticing dlopen (below): the loader's counters as last seen */
    _Atomic int refresh_lock;
    unsigned long long seen_adds, seen_subs;
    unsigned quiet_events;
} M;

static bool room(struct encode_ctx *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n) {
        c->overflow = true;
        return false;
    }
    return true;
}

static void put_str(struct encode_ctx *c, const void *s, size_t n)
{
    if (!room(c, n + HT_VARINT_MAX))
        return;
    c->p = ht_put_uvarint(c->p, n);
    memcpy(c->p, s, n);
    c->p += n;
}

static void put_u(struct encode_ctx *c, uint64_t v)
{
    if (room(c, HT_VARINT_MAX))
        c->p = ht_put_uvarint(c->p, v);
}

/* Finds NT_GNU_BUILD_ID in the object's PT_NOTE segments. */
static const uint8_t *find_build_id(struct dl_phdr_info *info, size_t *len)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
            const uint8_t *name = p + sizeof *nh, *desc = name + namesz;
            if (desc + descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                *len = nh->n_descsz;
                return desc;
            }
            p = desc + descsz;
        }
    }
    *len = 0;
    return NULL;
}

static int encode_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct encode_ctx *c = arg;
    (void)size;
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        if (c->count > 0)
            return 0; /* vdso and other nameless objects: nothing to symbolize offline */
        path = M.exe_path;
    }
    size_t id_len;
    const uint8_t *id = find_build_id(info, &id_len);
    uint64_t nseg = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        nseg += info->dlpi_phdr[i].p_type == PT_LOAD;
    put_str(c, path, strlen(path));
    put_u(c, info->dlpi_addr);
    put_str(c, id, id_len);
    put_u(c, nseg);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        size_t r = c->nranges;
        struct range *rg = (ph->p_flags & PF_X) && r < MAX_RANGES
                               ? HT_MEM_ONCE(&M.ranges, MAX_RANGES * sizeof *rg)
                               : NULL;
        if (rg) {
            rg[r].lo = info->dlpi_addr + ph->p_vaddr;
            rg[r].hi = rg[r].lo + ph->p_memsz;
            c->nranges = r + 1;
        }
        put_u(c, ph->p_vaddr);
        put_u(c, ph->p_memsz);
        put_u(c, ph->p_flags);
    }
    c->count++;
    return 0;
}

size_t ht_modules_encode(uint8_t *buf, size_t cap)
{
    /* Encode the modules after a reserved count, then move the count in. */
    uint8_t *body = buf + HT_VARINT_MAX;
    struct encode_ctx c = {body, buf + cap, 0, 0, false};
    if (!M.exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", M.exe_path, sizeof M.exe_path - 1);
        M.exe_path[n > 0 ? n : 0] = '\0';
    }
    dl_iterate_phdr(encode_one, &c);
    atomic_store(&M.nranges, c.nranges);
    if (c.overflow)
        return 0;
    size_t body_len = (size_t)(c.p - body);
    uint8_t cnt[HT_VARINT_MAX];
    size_t cl = (size_t)(ht_put_uvarint(cnt, c.count) - cnt);
    memmove(buf + cl, body, body_len);
    memcpy(buf, cnt, cl);
    return cl + body_len;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uint64_t probe = (uint64_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && probe >= lo && probe < lo + ph->p_memsz) {
            ht_self_lo = lo;
            ht_self_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}


void ht_modules_init_self(void)
{
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ht_modules_init_self);
    M.tls_static_info =
        (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    M.tls_tcb_size = (const unsigned *)dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
}

/* ---- noticing dlopen ---------------------------------------------------- */

/*
 * dlopen cannot be wrapped the usual way: glibc's dlopen looks at its return
 * address to pick the caller's RUNPATH and namespace, so our wrapper
 * tail-calls the real one and can do nothing after it. Instead it raises
 * ht_modules_dirty; while that is up, each event compares the loader's
 * load/unload counters with the last snapshot and records a new MODULES when
 * they moved (libraries are in the list before their constructors run). The
 * flag drops after a quiet stretch; the writer also polls the counters.
 */
_Atomic unsigned ht_modules_dirty;

static int read_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    unsigned long long *c = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c[0] = info->dlpi_adds;
        c[1] = info->dlpi_subs;
    }
    return 1;
}

/* Records MODULES if the loader's counters moved; true when it did. */
bool ht_modules_check(void)
{
    unsigned long long c[2] = {0, 0};
    if (atomic_exchange(&M.refresh_lock, 1))
        return false; /* someone else is looking right now */
    dl_iterate_phdr(read_counters, c);
    bool moved = c[0] != M.seen_adds || c[1] != M.seen_subs;
    if (moved) {
        M.seen_adds = c[0];
        M.seen_subs = c[1];
        M.quiet_events = 0;
    }
    atomic_store(&M.refresh_lock, 0);
    if (moved)
        ht_rec_modules();
    return moved;
}

void ht_modules_refresh(void)
{
    /* heaptrace attach: a library loaded since is routed through us now,
     * whoever noticed the loader's counters move first (the writer polls) */
    if (ht_attach_mode)
        ht_gotpatch_new();
    if (!ht_modules_check() && ++M.quiet_events > 256)
        atomic_store(&ht_modules_dirty, 0);
}

bool ht_modules_covers(uint64_t ip)
{
    size_t n = atomic_load(&M.nranges);
    const struct range *rg = atomic_load(&M.ranges);
    for (size_t i = 0; rg && i < n; i++)
        if (ip - rg[i].lo < rg[i].hi - rg[i].lo)
            return true;
    return false;
}

/* For the writer: encodes a fresh map into buf when the loader's counters
 * moved since the last map; returns its length, or 0 when nothing changed. */
size_t ht_modules_encode_if_changed(uint8_t *buf, size_t cap)
{
    unsigned long long c[2] = {0, 0};
    if (atomic_exchange(&M.refresh_lock, 1))
        return 0;
    dl_iterate_phdr(read_counters, c);
    size_t n = 0;
    if (c[0] != M.seen_adds || c[1] != M.seen_subs) {
        n = ht_modules_encode(buf, cap);
        if (n) {
            M.seen_adds = c[0];
            M.seen_subs = c[1];
        }
    }
    atomic_store(&M.refresh_lock, 0);
    return n;
}

/* ---- writable segments, for snapshot roots ------------------------------ */

struct writable_ctx {
    ht_segment_fn *fn;
    void *arg;
    uint32_t index; /* the module's index in the MODULES list encode_one writes */
};

static int each_writable(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct writable_ctx *c = arg;
    (void)size;
    if ((!info->dlpi_name || !*info->dlpi_name) && c->index > 0)
        return 0; /* skipped by encode_one too (the vdso) */
    uint32_t index = c->index++;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
            ht_in_shim(info->dlpi_addr + ph->p_vaddr))
            return 0; /* our own state is no root of the program's heap */
    }
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W))
            c->fn(c->arg, index, info->dlpi_addr, info->dlpi_addr + ph->p_vaddr, ph->p_memsz);
    }
    return 0;
}

void ht_modules_each_writable(ht_segment_fn *fn, void *arg)
{
    struct writable_ctx c = {fn, arg, 0};
    dl_iterate_phdr(each_writable, &c);
}

/* ---- static TLS, for snapshot roots ------------------------------------- */

static int tls_extent(struct dl_phdr_info *info, size_t size, void *arg)
{
    uint64_t *lowest = arg;
    (void)size;
    if (!info->dlpi_tls_data)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_TLS && (uint64_t)info->dlpi_tls_data < *lowest)
            *lowest = (uint64_t)info->dlpi_tls_data;
    return 0;
}

void ht_modules_tls_span(uint64_t *below, uint64_t *above)
{
    uint64_t tp = (uint64_t)__builtin_thread_pointer();
    uint64_t lowest = tp;
    dl_iterate_phdr(tls_extent, &lowest);
    /* Static TLS offsets from the thread pointer are the same in every
     * thread; the TCB (struct pthread) above it is about 2.3 KiB in glibc. */
    *below = tp - lowest < (1u << 20) ? tp - lowest : 0;
    *above = 4096;
    /* A library dlopened later with initial-exec TLS sits in the static
     * TLS surplus, below the startup modules; dl_iterate_phdr shows it only
     * to threads that touched it through __tls_get_addr. glibc's loader
     * knows the whole static block (TCB included) and libc the TCB's size. */
    size_t size = 0, align = 0;
    if (M.tls_static_info && M.tls_tcb_size) {
        M.tls_static_info(&size, &align);
        if (size > *M.tls_tcb_size && size - *M.tls_tcb_size > *below &&
            size - *M.tls_tcb_size < (1u << 20))
            *below = size - *M.tls_tcb_size;
    }
}
