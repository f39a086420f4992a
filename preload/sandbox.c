/* SPDX-License-Identifier: MIT */
/*
 * sandbox.c - noticing that the program sandboxes itself with seccomp, and
 * the program's own PR_SET_PTRACER (stw.c borrows that setting).
 *
 * A seccomp filter may kill the process for any system call it does not
 * expect (clone, openat, pipe2 ...), and nothing tells a process which ones
 * short of making them. So once the program installs a filter (prctl
 * PR_SET_SECCOMP or the seccomp system call, through libc), heaptrace makes
 * no more system calls of its own beyond those it makes for every event
 * and for writing the log: no snapshot is taken from then on (each one
 * skipped is a NOTE in the log), no tracer, no child. A filter in place
 * before the program started (a container's, a service manager's) let the
 * shim start its writer thread; it is assumed to allow what any process
 * does, and snapshots go on as usual.
 *
 * SECCOMP_MODE_STRICT allows read, write, _exit and sigreturn, and only to
 * the thread that asked: that thread is traced no further (its calls go
 * straight to the allocator, which makes no system call to serve what it
 * already holds), and a fatal signal it takes is left to its default
 * action; SIGTERM, SIGINT, SIGHUP and SIGQUIT are given back their default
 * action before the call (a handler could not let the process die of one).
 *
 * A filter installed with a raw system call instruction, without libc, is
 * not seen. prctl and syscall are passed on as raw system calls, as libc
 * makes them (syscall only on x86-64: elsewhere the seccomp system call
 * made through it is not seen either).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ht.h"

static struct sandbox_state {
    _Atomic bool sandboxed;
    _Atomic unsigned long program_ptracer; /* the program's PR_SET_PTRACER, 0: none */
} sb;
__thread int ht_seccomp_strict __attribute__((tls_model("initial-exec")));

bool ht_sandboxed(void)
{
    return atomic_load_explicit(&sb.sandboxed, memory_order_relaxed);
}

unsigned long ht_program_ptracer(void)
{
    return atomic_load(&sb.program_ptracer);
}

#if defined(__x86_64__)
long ht_raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
long ht_raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
    int saved = errno;
    long r = syscall(n, a, b, c, d, e, f);
    if (r == -1)
        r = -errno;
    errno = saved;
    return r;
}
#endif

int ht_real_prctl(int option, unsigned long arg)
{
    return ht_raw_syscall(SYS_prctl, option, (long)arg, 0, 0, 0, 0) == 0 ? 0 : -1;
}

/* The libc convention: -1 and errno for a result in [-4095, -1]. */
static long with_errno(long r)
{
    if ((unsigned long)r > -4096ul) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* After a successful call that sets a seccomp mode (the real call's result
 * and errno are the program's: nothing here touches errno). */
static void entered(bool strict)
{
    if (strict) {
        ht_seccomp_strict = 1;
        ht_guard++; /* for good: the thread's calls are forwarded untouched */
        return;
    }
    if (!atomic_exchange(&sb.sandboxed, true) && atomic_load(&ht_active)) {
        int saved = errno;
        ht_rec_simple(HT_REC_NOTE, 1, HT_NOTE_SANDBOX, 0);
        errno = saved;
    }
}

HT_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long),
                  c = va_arg(ap, unsigned long), d = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP && a == SECCOMP_MODE_STRICT)
        ht_signals_before_strict();
    int r = (int)with_errno(ht_raw_syscall(SYS_prctl, option, (long)a, (long)b, (long)c, (long)d, 0));
    if (r == 0 && option == PR_SET_SECCOMP)
        entered(a == SECCOMP_MODE_STRICT);
    else if (r == 0 && option == PR_SET_PTRACER)
        atomic_store(&sb.program_ptracer, a);
    return r;
}

#if defined(__x86_64__)
/* Our own raw call, not libc's through dlsym: the shim's own syscall()
 * calls land here too, some before dlsym can be used. */
HT_EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long),
         d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (HT_UNLIKELY(nr == SYS_write && a == HT_FAKE_PIPE_W)) /* libunwind's check (unwind.c) */
        return with_errno(ht_unwind_pipe_write(a, (const void *)b, (size_t)c));
    if ((nr == SYS_seccomp && a == SECCOMP_SET_MODE_STRICT) ||
        (nr == SYS_prctl && a == PR_SET_SECCOMP && b == SECCOMP_MODE_STRICT))
        ht_signals_before_strict();
    long r = with_errno(ht_raw_syscall(nr, a, b, c, d, e, f));
    if (r >= 0 && nr == SYS_seccomp &&
        (a == SECCOMP_SET_MODE_STRICT || a == SECCOMP_SET_MODE_FILTER))
        entered(a == SECCOMP_SET_MODE_STRICT);
    else if (r == 0 && nr == SYS_prctl && (a == PR_SET_SECCOMP || a == PR_SET_PTRACER)) {
        if (a == PR_SET_PTRACER)
            atomic_store(&sb.program_ptracer, (unsigned long)b);
        else
            entered(b == SECCOMP_MODE_STRICT);
    }
    return r;
}
#endif
