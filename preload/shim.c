/* SPDX-License-Identifier: MIT */
/*
 * shim.c - the exported malloc family. Thin wrappers only: call the real
 * function, then hand the result to record.c. All logic lives elsewhere.
 *
 * Ordering (what makes replay exact across threads): an allocation takes its
 * ticket after the real call returns; a free takes its ticket before the real
 * free; realloc takes its ticket before the real call and publishes after it.
 * A block reused by another thread is therefore always freed first in the log.
 *
 * The guard covers only our bookkeeping, never the forwarded call, so
 * allocations made inside real functions we wrap (iconv_open) are recorded.
 *
 * Sampled (HEAPTRACE_SAMPLE, sample.c): an allocation is recorded only when
 * ht_sample_take says so, a free only when ht_sample_maybe does; both are
 * decided before enter(), so the unsampled call costs a countdown or one
 * byte's load and nothing else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

/* Cold path: the process is starting, or tracing is off. */
HT_COLD bool ht_not_tracing(void)
{
    if (atomic_load(&ht_init_state) == 0) {
        int saved = errno; /* the first call's errno is the real call's, not init's */
        ht_init();
        errno = saved;
    }
    return atomic_load(&ht_init_state) != 2 || !atomic_load(&ht_active);
}

#define enter ht_enter
#define leave ht_leave

/* An allocation the program got: recorded when it is sampled (or always). */
static HT_ALWAYS_INLINE void record_alloc(unsigned fn, void *p, size_t n)
{
    if (!ht_sample_take(n) || !enter())
        return;
    ht_rec_alloc(fn, p, n);
    if (ht_sample_every)
        ht_sample_mark(p);
    leave();
}

HT_EXPORT void *malloc(size_t n)
{
    if (HT_UNLIKELY(!ht_real.malloc))
        return ht_boot_alloc(n, 16);
    void *p = ht_real.malloc(n);
    if (HT_LIKELY(p != NULL))
        record_alloc(HT_FN_MALLOC, p, n);
    return p;
}

HT_EXPORT void free(void *p)
{
    if (HT_UNLIKELY(!p || ht_boot_owns(p)))
        return;
    if (ht_sample_maybe(p) && enter()) {
        ht_rec_free(p);
        leave();
    }
    ht_real.free(p);
}

HT_EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (HT_UNLIKELY(__builtin_mul_overflow(n, size, &total))) {
        errno = ENOMEM;
        return NULL;
    }
    if (HT_UNLIKELY(!ht_real.calloc))
        return ht_boot_alloc(total, 16); /* static storage is zeroed */
    void *p = ht_real.calloc(n, size);
    if (HT_LIKELY(p != NULL))
        record_alloc(HT_FN_CALLOC, p, total);
    return p;
}

/* realloc of a block from the bootstrap arena: copy it out to a real block. */
static HT_COLD void *realloc_from_boot(void *old, size_t n)
{
    void *p = malloc(n);
    if (p) {
        size_t have = ht_boot_size(old);
        memcpy(p, old, have < n ? have : n);
    }
    return p;
}

/* rec_old: the old block as the log sees it (NULL when it was not sampled). */
static void *realloc_traced(void *old, void *rec_old, size_t n,
                            void *(*real)(void *, size_t, size_t), size_t count, size_t size)
{
    struct ht_thread *t = ht_thread_get();
    struct ht_ev *ev = t ? ht_rec_realloc_begin(t, rec_old, n) : NULL;
    /* The guard stays held across the real call: an allocator that
     * implements realloc through its own malloc must not nest a record
     * (and that is not a lost event). */
    ht_bookkeeping = 0;
    errno = ht_errno; /* the real call's errno is the one ht_leave puts back */
    void *p = real ? real(old, count, size) : ht_real.realloc(old, n);
    ht_errno = errno;
    ht_bookkeeping = 1;
    bool failed = p == NULL && n != 0;
    if (ev)
        ht_rec_realloc_end(t, ev, p, failed);
    if (ht_sample_every && p && !failed)
        ht_sample_mark(p);
    return p;
}

static void *realloc_next(void *old, size_t n, void *(*real)(void *, size_t, size_t),
                          size_t count, size_t size)
{
    return real ? real(old, count, size) : ht_real.realloc(old, n);
}

/*
 * realloc when sampling: the new block is an allocation of n bytes like any
 * other (sampled or not by the countdown), the old one a free (recorded when
 * it may be sampled). Sampled new block: a REALLOC record, whose old is 0
 * when the old block was not sampled. Unsampled new block of a sampled old
 * one: a FREE record, taken before the real call like every free (a
 * realloc that then fails leaves the log one block short: it is rare, and
 * an estimate). Neither: nothing is recorded.
 */
static void *realloc_sampled(void *old, size_t n, void *(*real)(void *, size_t, size_t),
                             size_t count, size_t size)
{
    bool was = old && ht_sample_maybe(old);
    bool now = n && ht_sample_take(n);
    if ((!was && !now) || !enter())
        return realloc_next(old, n, real, count, size);
    void *p;
    if (now) {
        p = realloc_traced(old, was ? old : NULL, n, real, count, size);
    } else {
        ht_rec_free(old);
        p = realloc_next(old, n, real, count, size);
    }
    leave();
    return p;
}

HT_EXPORT void *realloc(void *old, size_t n)
{
    if (HT_UNLIKELY(old && ht_boot_owns(old)))
        return realloc_from_boot(old, n); /* into the arena too, while it is all there is */
    if (HT_UNLIKELY(!ht_real.realloc))
        return old ? NULL : ht_boot_alloc(n, 16);
    if (ht_sample_every)
        return realloc_sampled(old, n, NULL, 0, 0);
    if (!enter())
        return ht_real.realloc(old, n);
    void *p = realloc_traced(old, old, n, NULL, 0, 0);
    leave();
    return p;
}

static void *reallocarray_next(void *old, size_t count, size_t size)
{
    if (ht_real.reallocarray)
        return ht_real.reallocarray(old, count, size);
    return ht_real.realloc(old, count * size);
}

/* reallocarray(NULL, ...) when sampling: a new block like malloc's. */
static void *realloc_sampled_new(size_t count, size_t size, size_t total)
{
    void *p = reallocarray_next(NULL, count, size);
    if (p)
        record_alloc(HT_FN_REALLOCARRAY_NEW, p, total);
    return p;
}

HT_EXPORT void *reallocarray(void *old, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (HT_UNLIKELY(!ht_real.realloc || (old && ht_boot_owns(old))))
        return realloc(old, total);
    if (ht_sample_every)
        return old ? realloc_sampled(old, total, reallocarray_next, count, size)
                   : realloc_sampled_new(count, size, total);
    if (!enter())
        return reallocarray_next(old, count, size);
    void *p;
    if (!old) {
        p = reallocarray_next(NULL, count, size);
        if (p)
            ht_rec_alloc(HT_FN_REALLOCARRAY_NEW, p, total);
    } else {
        p = realloc_traced(old, old, total, reallocarray_next, count, size);
    }
    leave();
    return p;
}

HT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (HT_UNLIKELY(!ht_real.posix_memalign)) {
        *out = ht_boot_alloc(n, align);
        return 0;
    }
    int rc = ht_real.posix_memalign(out, align, n);
    if (rc == 0)
        record_alloc(HT_FN_POSIX_MEMALIGN, *out, n);
    return rc;
}

/* The one-pointer aligned family shares one shape. */
#define ALIGNED_WRAPPER(name, fn, call, boot_align, ...)                                           \
    HT_EXPORT void *name(__VA_ARGS__)                                                              \
    {                                                                                              \
        if (HT_UNLIKELY(!ht_real.name))                                                            \
            return ht_boot_alloc(n, boot_align);                                                   \
        void *p = call;                                                                            \
        if (p)                                                                                     \
            record_alloc(fn, p, n);                                                                \
        return p;                                                                                  \
    }

ALIGNED_WRAPPER(aligned_alloc, HT_FN_ALIGNED_ALLOC, ht_real.aligned_alloc(align, n), align,
                size_t align, size_t n)
ALIGNED_WRAPPER(memalign, HT_FN_MEMALIGN, ht_real.memalign(align, n), align, size_t align,
                size_t n)
ALIGNED_WRAPPER(valloc, HT_FN_VALLOC, ht_real.valloc(n), 4096, size_t n)
ALIGNED_WRAPPER(pvalloc, HT_FN_PVALLOC, ht_real.pvalloc(n), 4096, size_t n)

HT_EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (ht_boot_owns(p))
        return ht_boot_size(p);
    return ht_real.malloc_usable_size ? ht_real.malloc_usable_size(p) : 0;
}

/* ---- client API (include/heaptrace.h) ---------------------------------- */

/*
 * heaptrace__mark and heaptrace__snapshot may wait for a snapshot of the
 * calling thread. Its stack is scanned from the program's frames up (our
 * frames below hold stale copies of block addresses), so a pointer the
 * program keeps only in a callee-saved register would be missed where one
 * of our frames saved it. On x86-64 the two entry points are stubs that
 * store the caller's rbx, rbp and r12-r15 and its stack pointer, then call
 * ht_api_mark/ht_api_snapshot; the registers are roots while it waits.
 */
void ht_api_mark(const char *label, const uint64_t *regs, uint64_t program_sp);
void ht_api_snapshot(const uint64_t *regs, uint64_t program_sp);

void ht_api_mark(const char *label, const uint64_t *regs, uint64_t program_sp)
{
    if (!enter())
        return;
    size_t n = label ? strnlen(label, 255) : 0;
    uint8_t buf[HT_VARINT_MAX + 256];
    uint8_t *p = ht_put_uvarint(buf, n);
    memcpy(p, label ? label : "", n);
    ht_rec_raw(HT_REC_MARK, buf, (size_t)(p - buf) + n);
    leave();
    static _Atomic unsigned long marks;
    unsigned long mark = atomic_fetch_add(&marks, 1) + 1;
    unsigned every = ht_config.snapshot_every_marks;
    if ((every && mark % every == 0) || ht_snap_policy_mark(mark))
        ht_snapshot_request_wait(HT_SNAP_MARKS, regs, program_sp);
}

void ht_api_snapshot(const uint64_t *regs, uint64_t program_sp)
{
    if (ht_sample_every) /* no snapshots when sampling (config.c) */
        return;
    if (atomic_load(&ht_init_state) == 2 && atomic_load(&ht_active))
        ht_snapshot_request_wait(HT_SNAP_API, regs, program_sp);
}

#if defined(__x86_64__)
/* NAME: store the callee-saved registers (HT_CALLER_REGS order) in 48 bytes
 * of stack, pass their address in ARG and the program's stack pointer (above
 * our return address) in SP_ARG, call IMPL. The stub keeps a frame record
 * (the caller's rbp and our return address, rbp pointing at it): without
 * one, a snapshot's frame walk (snapframes.c) would skip the program's
 * function and credit its locals to heaptrace__mark. */
#define HT_API_STUB(name, impl, arg, sp_arg)                                                  \
    __asm__(".pushsection .text\n.globl " #name "\n.type " #name ", @function\n" #name ":\n" \
            ".cfi_startproc\n"                                                             \
            "  lea 8(%rsp), %" sp_arg "\n"                                                 \
            "  push %rbp\n"                                                                \
            ".cfi_adjust_cfa_offset 8\n"                                                   \
            ".cfi_rel_offset %rbp, 0\n"                                                    \
            "  sub $48, %rsp\n" /* 48 bytes of registers; 16-byte aligned with the push */  \
            ".cfi_adjust_cfa_offset 48\n"                                                  \
            "  mov %rbx, 0(%rsp)\n  mov %rbp, 8(%rsp)\n  mov %r12, 16(%rsp)\n"                \
            "  mov %r13, 24(%rsp)\n  mov %r14, 32(%rsp)\n  mov %r15, 40(%rsp)\n"              \
            "  lea 48(%rsp), %rbp\n" /* the frame record: saved rbp, return address */      \
            "  mov %rsp, %" arg "\n"                                                       \
            "  call " #impl "\n"                                                           \
            "  add $48, %rsp\n"                                                            \
            ".cfi_adjust_cfa_offset -48\n"                                                 \
            "  pop %rbp\n"                                                                 \
            ".cfi_adjust_cfa_offset -8\n"                                                  \
            ".cfi_restore %rbp\n"                                                          \
            "  ret\n.cfi_endproc\n.size " #name ", .-" #name "\n.popsection\n")

HT_API_STUB(heaptrace__mark, ht_api_mark, "rsi", "rdx");
HT_API_STUB(heaptrace__snapshot, ht_api_snapshot, "rdi", "rsi");
#else
HT_EXPORT void heaptrace__mark(const char *label)
{
    ht_api_mark(label, NULL, (uint64_t)__builtin_frame_address(0) + 16);
}

HT_EXPORT void heaptrace__snapshot(void)
{
    ht_api_snapshot(NULL, (uint64_t)__builtin_frame_address(0) + 16);
}
#endif

HT_EXPORT void heaptrace__ignore(const void *ptr)
{
    if (ptr && enter()) {
        ht_rec_simple(HT_REC_IGNORE, 1, (uint64_t)(uintptr_t)ptr, 0);
        leave();
    }
}

HT_EXPORT void heaptrace__root(const void *ptr, size_t size)
{
    ht_snapshot_user_root((uint64_t)(uintptr_t)ptr, size);
}

HT_EXPORT void heaptrace__alloc(const void *ptr, size_t size)
{
    if (ptr)
        record_alloc(HT_FN_CUSTOM, (void *)(uintptr_t)ptr, size);
}

HT_EXPORT void heaptrace__free(const void *ptr)
{
    if (ptr && ht_sample_maybe(ptr) && enter()) {
        ht_rec_free((void *)(uintptr_t)ptr);
        leave();
    }
}
