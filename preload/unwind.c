/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - stack capture: frame pointers where they are proven, DWARF
 * (libunwind) everywhere else, with the same result as a libunwind walk.
 *
 * A frame-pointer step out of function F is exact when F keeps %rbp as its
 * frame pointer: then at every call site [rbp] is the caller's frame and
 * [rbp+8] the return address. We prove that per return address, once: the
 * function containing it (libunwind's procedure info) must begin with
 * `push %rbp; mov %rsp,%rbp` (after an optional endbr64). Verdicts live in a
 * global direct-mapped cache.
 *
 * The first frame that is not proven (libc's __libc_start_call_main under
 * main, start_thread under a thread function) is unwound by libunwind from a
 * context rebuilt at that frame. That tail is the same for almost every
 * event of a thread, so each thread caches it with the stack bytes the walk
 * read: when (frame, return address, bytes) match, the tail is reused. When
 * a tail cannot be cached (an unproven frame deep in the stack, e.g. libc's
 * fopen calling malloc), the whole stack comes from unw_backtrace.
 *
 * HEAPTRACE_UNWIND=libunwind turns all of this off (unw_backtrace only).
 *
 * The walk runs on a stack of its own (UNWIND_STACK bytes per thread,
 * mapped on its first event): libunwind needs kilobytes of stack, and the
 * program's own may be a signal handler's small alternate stack. A
 * trampoline with frame-pointer CFI switches to it, so both walks step from
 * the unwinder's frames back onto the program's stack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <unistd.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "ht.h"

/*
 * libunwind (1.6, Debian 12) checks an address it is unsure of (every walk
 * has some) by mincore(2) and then write(2)ing one byte of it into a private
 * pipe, opened when it starts and again whenever a read from it fails.
 * Those two descriptors would sit in the program's table (its first open()
 * would return 5, not 3, and fewer files open under a low RLIMIT_NOFILE),
 * and once the program closed them and opened its own files under the same
 * numbers, libunwind would read and write the program's files.
 *
 * So libunwind gets a pipe that is not one: pipe2 called from libunwind's
 * own code returns two numbers no descriptor can have (above the kernel's
 * fs.nr_open ceiling), and its write of one byte at addr to the second
 * (syscall(SYS_write, ...), which our syscall() in sandbox.c hands to
 * ht_unwind_pipe_write) is done here: it succeeds when addr is readable
 * (process_vm_readv on ourselves, which fails with EFAULT instead of
 * faulting), as the pipe's write did. Its read and close of the numbers
 * fail with EBADF, which it takes as a pipe to reopen: pipe2 again, here.
 * Every other call passes straight through.
 */
#define FAKE_PIPE_R (HT_FAKE_PIPE_W - 1) /* > fs.nr_open's maximum, 2147483584 */
#define FAKE_PIPE_W HT_FAKE_PIPE_W

static struct unwind_state {
    uint64_t unw_lo, unw_hi; /* libunwind's text */
    /* ra << 2 | verdict; written whole, so racing threads at worst redo a check. */
    _Atomic uint64_t *verdicts; /* x86-64: VERDICTS, by return address */
} uw;

static int find_libunwind(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uint64_t fn = (uint64_t)(uintptr_t)arg, lo = UINT64_MAX, hi = 0;
    bool has = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr, e = a + ph->p_memsz;
        has |= fn >= a && fn < e;
        lo = a < lo ? a : lo;
        hi = e > hi ? e : hi;
    }
    if (!has)
        return 0;
    uw.unw_lo = lo;
    uw.unw_hi = hi;
    return 1;
}

static void unw_local_init(void)
{
    void *fn = (void *)&unw_backtrace;
    dl_iterate_phdr(find_libunwind, fn);
}

HT_EXPORT int pipe2(int fds[2], int flags)
{
    HT_NEXT(pipe2);
    uint64_t ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
    if (ra - uw.unw_lo >= uw.unw_hi - uw.unw_lo)
        return real_pipe2(fds, flags);
    fds[0] = FAKE_PIPE_R;
    fds[1] = FAKE_PIPE_W;
    return 0;
}

/* libunwind's syscall(SYS_write, pipe, addr, 1), passed on by our syscall()
 * (sandbox.c): 1 when addr is readable, else -EFAULT. */
long ht_unwind_pipe_write(long fd, const void *addr, size_t n)
{
    (void)fd;
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)(uintptr_t)addr, 1};
    if (n == 0)
        return 0;
    long r = ht_raw_syscall(SYS_process_vm_readv, ht_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0),
                            (long)&local, 1, (long)&remote, 1, 0);
    return r == 1 ? 1 : -EFAULT;
}

#if defined(__x86_64__)

#define VERDICTS (1u << 16)
/* V_DEEP: unproven, and the DWARF tail below it was too long to cache last
 * time (a libc function deep in the stack): go straight to unw_backtrace. */
enum { V_UNKNOWN = 0, V_FP = 1, V_OTHER = 2, V_DEEP = 3 };

#define TAIL_BYTES 768 /* largest stack span a cached tail may depend on */
#define TAIL_FRAMES 16
#define TAIL_SLOTS 16 /* per thread: a server loop calls malloc from a few libc sites */

struct tail_cache {
    uint64_t fp, ra; /* key: the first unproven frame */
    uint32_t nbytes, nframes;
    uint64_t frames[TAIL_FRAMES];
    uint8_t bytes[TAIL_BYTES];
};

static bool proven_fp(uint64_t ra)
{
    unw_proc_info_t pi;
    if (unw_get_proc_info_by_ip(unw_local_addr_space, (unw_word_t)(ra - 1), &pi, NULL) != 0 ||
        pi.start_ip == 0 || pi.start_ip >= ra)
        return false;
    const uint8_t *c = (const uint8_t *)pi.start_ip;
    if (c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa)
        c += 4; /* endbr64 */
    return c[0] == 0x55 && c[1] == 0x48 && c[2] == 0x89 && c[3] == 0xe5;
}

static size_t verdict_slot(uint64_t ra)
{
    return (size_t)((ra * 0x9e3779b97f4a7c15ull) >> 48) & (VERDICTS - 1);
}

static void verdict_set(uint64_t ra, int v)
{
    atomic_store_explicit(&uw.verdicts[verdict_slot(ra)], ra << 2 | (uint64_t)v,
                          memory_order_relaxed);
}

static int verdict(uint64_t ra)
{
    if (ht_in_shim(ra))
        return V_FP; /* our own code is built with frame pointers */
    size_t i = verdict_slot(ra);
    uint64_t e = atomic_load_explicit(&uw.verdicts[i], memory_order_relaxed);
    if (HT_LIKELY((e >> 2) == ra))
        return (int)(e & 3);
    int v = proven_fp(ra) ? V_FP : V_OTHER;
    atomic_store_explicit(&uw.verdicts[i], ra << 2 | (uint64_t)v, memory_order_relaxed);
    return v;
}

/* libunwind from the frame whose return address is `ra`, saved at fp + 8. */
static size_t dwarf_tail(uint64_t fp, uint64_t ra, uint64_t *out, size_t max, uint64_t *span)
{
    unw_context_t ctx;
    unw_cursor_t cur;
    unw_getcontext(&ctx);
    ctx.uc_mcontext.gregs[REG_RIP] = (greg_t)(ra - 1); /* inside the call: right FDE */
    ctx.uc_mcontext.gregs[REG_RSP] = (greg_t)(fp + 16);
    ctx.uc_mcontext.gregs[REG_RBP] = (greg_t)((uint64_t *)fp)[0];
    if (unw_init_local(&cur, &ctx) != 0)
        return 0;
    size_t n = 0;
    unw_word_t sp = fp + 16;
    while (n < max && unw_step(&cur) > 0) {
        unw_word_t ip;
        unw_get_reg(&cur, UNW_REG_IP, &ip);
        unw_get_reg(&cur, UNW_REG_SP, &sp);
        if (!ip)
            break;
        out[n++] = ip;
    }
    *span = sp - fp + 16; /* the bytes the walk could read: its frames' slots */
    return n;
}

/* The kernel returns from a signal handler into __restore_rt:
 * `mov $15,%rax; syscall`. Its frame is a signal frame, which only a full
 * libunwind walk (it recognises these bytes at the IP itself) gets right. */
static bool is_sigreturn(uint64_t ra)
{
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    return memcmp((const void *)ra, code, sizeof code) == 0;
}

/* Appends the tail below the first unproven frame; false = not cacheable. */
static bool append_tail(struct ht_thread *t, uint64_t fp, uint64_t ra, uint64_t *ips, size_t *k,
                        size_t max)
{
    if (is_sigreturn(ra))
        return false;
    struct tail_cache *slots = t->unwind_tail;
    if (!slots) {
        slots = t->unwind_tail = ht_mem_alloc(TAIL_SLOTS * sizeof *slots);
        if (!slots)
            return false;
    }
    struct tail_cache *tc = &slots[((fp ^ ra) * 0x9e3779b97f4a7c15ull) >> 60];
    bool same_key = tc->fp == fp && tc->ra == ra;
    if (!(same_key && memcmp((void *)fp, tc->bytes, tc->nbytes) == 0)) {
        if (same_key) {
            /* The bytes the tail depends on changed under the same frame: they
             * hold a caller's live locals, so this tail would never repeat. */
            tc->fp = 0;
            verdict_set(ra, V_DEEP);
            return false;
        }
        uint64_t span, frames[TAIL_FRAMES + 1];
        size_t n = dwarf_tail(fp, ra, frames, TAIL_FRAMES + 1, &span);
        if (n > TAIL_FRAMES || span > TAIL_BYTES) {
            tc->fp = 0;
            verdict_set(ra, V_DEEP);
            return false;
        }
        tc->fp = fp;
        tc->ra = ra;
        tc->nbytes = (uint32_t)span;
        tc->nframes = (uint32_t)n;
        memcpy(tc->frames, frames, n * 8);
        memcpy(tc->bytes, (void *)fp, span);
    }
    for (uint32_t i = 0; i < tc->nframes && *k < max; i++)
        if (!ht_in_shim(tc->frames[i]))
            ips[(*k)++] = tc->frames[i];
    return true;
}

static size_t capture_libunwind(uint64_t *ips, unsigned max)
{
    int n = unw_backtrace((void **)ips, (int)max + 16);
    size_t k = 0;
    for (int i = 0; i < n && k < max; i++) {
        uint64_t ip = ips[i];
        if (!ip)
            break;
        if (!ht_in_shim(ip))
            ips[k++] = ip;
    }
    return k;
}

static size_t capture(uint64_t *ips, unsigned max, uint64_t fp);

struct capture_call {
    uint64_t *ips;
    unsigned max;
    uint64_t fp; /* the frame the walk starts from, on the program's stack */
    size_t n;
};

static void capture_there(void *arg)
{
    struct capture_call *c = arg;
    c->n = capture(c->ips, c->max, c->fp);
}

#define UNWIND_STACK (128 * 1024)

/* ht_on_stack(fn, arg, top): fn(arg) with the stack pointer at top. Its
 * CFA is %rbp + 16 throughout: libunwind and a frame-pointer walk step
 * from fn straight back to our caller's frame on the old stack. */
void ht_on_stack(void (*fn)(void *), void *arg, void *top) __attribute__((visibility("hidden")));
__asm__(".pushsection .text\n"
        ".globl ht_on_stack\n"
        ".hidden ht_on_stack\n"
        ".type ht_on_stack, @function\n"
        ".p2align 4\n"
        "ht_on_stack:\n"
        ".cfi_startproc\n"
        "push %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "mov %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n"
        "mov %rdx, %rsp\n"
        "and $-16, %rsp\n"
        "mov %rdi, %rax\n"
        "mov %rsi, %rdi\n"
        "call *%rax\n"
        "mov %rbp, %rsp\n"
        "pop %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "ret\n"
        ".cfi_endproc\n"
        ".size ht_on_stack, .-ht_on_stack\n"
        ".popsection\n");

/* libunwind may malloc for itself (reading a library's .debug_frame): that
 * is not a program event, so it must not count as lost. (A signal handler
 * that allocates during the walk is then not counted either.) noinline:
 * its frame is where the walk starts. */
HT_NOINLINE size_t ht_stack_capture(uint64_t *ips, unsigned max)
{
    int bookkeeping = ht_bookkeeping;
    ht_bookkeeping = 0;
    struct ht_thread *t = ht_self;
    struct capture_call c = {ips, max, (uint64_t)__builtin_frame_address(0), 0};
    if (t && !t->unwind_stack)
        t->unwind_stack = ht_sys_mmap(UNWIND_STACK); /* raw: no event of ours */
    if (t && t->unwind_stack)
        ht_on_stack(capture_there, &c, t->unwind_stack + UNWIND_STACK);
    else
        capture_there(&c);
    ht_bookkeeping = bookkeeping;
    return c.n;
}

static size_t capture(uint64_t *ips, unsigned max, uint64_t fp)
{
    struct ht_thread *t = ht_self;
    if (!uw.verdicts || !t || !t->stack_hi || ht_config.unwind_libunwind)
        return capture_libunwind(ips, max);
    uint64_t lo = fp; /* the stack below the walk's start is not part of the chain */
    size_t k = 0;
    while (k < max) {
        if (fp < lo || fp + 16 > t->stack_hi || (fp & 7))
            return capture_libunwind(ips, max); /* not a chain we understand */
        uint64_t ra = ((uint64_t *)fp)[1];
        if (!ra)
            break;
        if (!ht_in_shim(ra))
            ips[k++] = ra;
        int v = verdict(ra);
        if (v != V_FP) {
            if (v == V_DEEP || !append_tail(t, fp, ra, ips, &k, max))
                return capture_libunwind(ips, max);
            break;
        }
        uint64_t next = ((uint64_t *)fp)[0];
        if (next <= fp)
            break; /* the outermost frame */
        fp = next;
    }
    return k;
}

void ht_unwind_init(void)
{
    unw_local_init(); /* before libunwind starts and asks for its pipe */
    uw.verdicts = ht_mem_alloc(VERDICTS * sizeof *uw.verdicts);
    /* libunwind's global cache takes a lock that blocks signals with two
     * sigprocmask calls per step; per-thread caches need neither. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

#else /* not x86-64: libunwind only */

size_t ht_stack_capture(uint64_t *ips, unsigned max)
{
    int bookkeeping = ht_bookkeeping;
    ht_bookkeeping = 0; /* libunwind's own mallocs are not lost events */
    int n = unw_backtrace((void **)ips, (int)max + 16);
    size_t k = 0;
    for (int i = 0; i < n && k < max; i++)
        if (ips[i] && !ht_in_shim(ips[i]))
            ips[k++] = ips[i];
    ht_bookkeeping = bookkeeping;
    return k;
}

void ht_unwind_init(void)
{
    unw_local_init();
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

#endif

/*
 * Where the exit snapshot starts scanning the exiting thread's stack when it
 * is taken from our destructor: exit() (libc) runs the loader's finaliser
 * (_dl_fini, ld.so), which runs ours. valgrind checks leaks at exit_group,
 * after both have run more code over their frames; scanned mid-way, their
 * unwritten slots (stale copies from the program's own dead frames, just
 * below its stack pointer) would keep lost blocks reachable, and they hold
 * no pointer of the program's. So the scan starts at the frame that called
 * exit: the first, walking up, in neither libc nor ld.so. Returns its stack
 * pointer, 0 when the walk finds no loader frame or no such caller.
 */
uint64_t ht_unwind_exit_sp(void)
{
    extern void *__tls_get_addr(void *); /* ld.so's own */
    Dl_info ld, libc, at;
    if (!dladdr((void *)(uintptr_t)&__tls_get_addr, &ld) || !ld.dli_fbase ||
        !dladdr((void *)(uintptr_t)&exit, &libc) || !libc.dli_fbase)
        return 0;
    unw_context_t ctx;
    unw_cursor_t cur;
    if (unw_getcontext(&ctx) != 0 || unw_init_local(&cur, &ctx) != 0)
        return 0;
    bool seen_loader = false;
    for (int depth = 0; depth < 64 && unw_step(&cur) > 0; depth++) {
        unw_word_t ip, sp;
        unw_get_reg(&cur, UNW_REG_IP, &ip);
        unw_get_reg(&cur, UNW_REG_SP, &sp);
        void *base = dladdr((void *)(uintptr_t)(ip - 1), &at) ? at.dli_fbase : NULL;
        if (base == ld.dli_fbase)
            seen_loader = true;
        else if (seen_loader && base != libc.dli_fbase)
            return sp;
    }
    return 0;
}
