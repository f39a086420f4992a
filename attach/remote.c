/* SPDX-License-Identifier: MIT */
/*
 * remote.c - making a thread of another process call a function (x86-64).
 *
 * The thread is seized (PTRACE_SEIZE: no signal is queued, the process sees
 * no SIGSTOP) and interrupted. Where it stopped matters: a thread stopped
 * inside malloc with the arena lock held, or inside dlopen with the loader
 * lock, would deadlock the dlopen we make it call. So it is let go on until
 * it is blocked in or back from an idle system call (epoll_wait, poll,
 * nanosleep, accept...), or runs the program's own code, outside libc, the
 * loader and the allocator.
 *
 * A call: the registers and the FPU/vector state are saved; the thread gets
 * fn's address, the arguments, a stack pointer below its own stack's red
 * zone and a return address of 0; orig_rax = -1 so the kernel does not take
 * the registers for an interrupted system call to restart. The function
 * returns to 0 and faults; that SIGSEGV stop is ours and is never delivered.
 * Putting the saved registers back lets an interrupted system call restart
 * (or return EINTR, for the calls the kernel never restarts after a stop, as
 * under any debugger), and the thread goes on where it was.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"

/* System calls a thread makes while idle, never with a lock of libc's held. */
static bool idle_syscall(long nr, bool blocked)
{
    switch (nr) {
    case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_poll: case SYS_ppoll: case SYS_select:
    case SYS_pselect6: case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_accept:
    case SYS_accept4: case SYS_wait4: case SYS_waitid: case SYS_pause: case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait: case SYS_recvfrom: case SYS_recvmsg: case SYS_io_getevents:
#ifdef SYS_epoll_pwait2
    case SYS_epoll_pwait2:
#endif
        return true;
    case SYS_read: /* blocked reading a socket, a pipe or a terminal; not the loader's read */
        return blocked;
    default:
        return false;
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int remote_seize(struct remote *r, pid_t tid)
{
    memset(r, 0, sizeof *r);
    r->tid = tid;
    if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_TRACESYSGOOD) != 0)
        return errno;
    r->seized = true;
    return 0;
}

/* Waits for the next stop; false when the thread is gone. */
static bool wait_stop(struct remote *r, int *status)
{
    for (;;) {
        if (waitpid(r->tid, status, __WALL) < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        return WIFSTOPPED(*status);
    }
}

static bool get_regs(struct remote *r, struct user_regs_struct *regs)
{
    return ptrace(PTRACE_GETREGS, r->tid, 0, regs) == 0;
}

static bool save_state(struct remote *r)
{
    if (!get_regs(r, &r->regs))
        return false;
    struct iovec iov = {r->xstate, sizeof r->xstate};
    r->xstate_len = ptrace(PTRACE_GETREGSET, r->tid, (void *)NT_X86_XSTATE, &iov) == 0 ? iov.iov_len
                                                                                     : 0;
    r->stopped = true;
    return true;
}

/* Interrupts the thread; true once it is in a stop of ours (signals that
 * arrive first are delivered). */
static bool interrupt(struct remote *r)
{
    if (ptrace(PTRACE_INTERRUPT, r->tid, 0, 0) != 0)
        return false;
    int st;
    while (wait_stop(r, &st)) {
        if (st >> 16 == PTRACE_EVENT_STOP)
            return true;
        ptrace(PTRACE_CONT, r->tid, 0, (void *)(long)WSTOPSIG(st)); /* the program's signal */
    }
    return false;
}

static bool safe_here(struct remote *r, const struct target *t)
{
    struct user_regs_struct g;
    if (!get_regs(r, &g))
        return false;
    if ((long)g.orig_rax >= 0) /* in a system call, interrupted */
        return idle_syscall((long)g.orig_rax, true);
    return !target_ip_busy(t, g.rip);
}

bool remote_stop_safely(struct remote *r, const struct target *t, unsigned timeout_ms, char *err,
                        size_t cap)
{
    if (!interrupt(r)) {
        snprintf(err, cap, "thread %d could not be stopped: %s", (int)r->tid, strerror(errno));
        return false;
    }
    if (safe_here(r, t))
        return save_state(r);
    /* Let it run to the end of an idle system call. */
    uint64_t give_up = now_ms() + timeout_ms;
    long entered = -1;
    int deliver = 0;
    while (now_ms() < give_up) {
        if (ptrace(PTRACE_SYSCALL, r->tid, 0, (void *)(long)deliver) != 0)
            break;
        deliver = 0;
        int st;
        pid_t got;
        while ((got = waitpid(r->tid, &st, __WALL | WNOHANG)) == 0 && now_ms() < give_up) {
            struct timespec ms = {0, 1000 * 1000};
            nanosleep(&ms, NULL);
        }
        if (got == 0) { /* still inside a long system call: stop it where it is, and give up */
            interrupt(r);
            break;
        }
        if (got < 0 || !WIFSTOPPED(st))
            break;
        if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
            if (st >> 16 == 0) /* the program's signal: deliver it */
                deliver = WSTOPSIG(st);
            continue;
        }
        struct __ptrace_syscall_info info;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, r->tid, (void *)sizeof info, &info) <= 0)
            break;
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
            entered = (long)info.entry.nr;
        else if (info.op == PTRACE_SYSCALL_INFO_EXIT && idle_syscall(entered, false))
            return save_state(r);
    }
    snprintf(err, cap,
             "thread %d made no idle system call (epoll_wait, poll, nanosleep, accept...) in %u ms: "
             "no point where it surely holds no lock of libc's",
             (int)r->tid, timeout_ms);
    return false;
}

bool remote_write(pid_t pid, uint64_t addr, const void *buf, size_t n)
{
    struct iovec local = {(void *)(uintptr_t)buf, n}, remote = {(void *)(uintptr_t)addr, n};
    if (process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)n)
        return true;
    for (size_t i = 0; i < n; i += sizeof(long)) { /* word by word, as a debugger does */
        long word = 0;
        size_t k = n - i < sizeof word ? n - i : sizeof word;
        if (k < sizeof word) {
            errno = 0;
            word = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + i), 0);
            if (errno)
                return false;
        }
        memcpy(&word, (const char *)buf + i, k);
        if (ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)(addr + i), (void *)word) != 0)
            return false;
    }
    return true;
}

bool remote_read(pid_t pid, uint64_t addr, void *buf, size_t n)
{
    struct iovec local = {buf, n}, remote = {(void *)(uintptr_t)addr, n};
    if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)n)
        return true;
    for (size_t i = 0; i < n; i += sizeof(long)) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + i), 0);
        if (errno)
            return false;
        size_t k = n - i < sizeof word ? n - i : sizeof word;
        memcpy((char *)buf + i, &word, k);
    }
    return true;
}

bool remote_call(struct remote *r, uint64_t fn, const uint64_t *args, int nargs, uint64_t *ret,
                 char *err, size_t cap)
{
    struct user_regs_struct c = r->regs;
    uint64_t sp = ((r->regs.rsp - 1024) & ~(uint64_t)15) - 8; /* past the red zone; rsp+8 aligned */
    const uint64_t zero = 0;
    if (!remote_write(r->tid, sp, &zero, sizeof zero)) {
        snprintf(err, cap, "cannot write to the stack of thread %d", (int)r->tid);
        return false;
    }
    unsigned long long *argr[6] = {&c.rdi, &c.rsi, &c.rdx, &c.rcx, &c.r8, &c.r9};
    for (int i = 0; i < nargs && i < 6; i++)
        *argr[i] = args[i];
    c.rsp = sp;
    c.rip = fn;
    c.rax = 0;
    c.orig_rax = (unsigned long long)-1; /* not a system call to restart */
    if (ptrace(PTRACE_SETREGS, r->tid, 0, &c) != 0 || ptrace(PTRACE_CONT, r->tid, 0, 0) != 0) {
        snprintf(err, cap, "cannot run thread %d: %s", (int)r->tid, strerror(errno));
        return false;
    }
    int st;
    while (wait_stop(r, &st)) {
        int sig = WSTOPSIG(st);
        struct user_regs_struct g;
        if (st >> 16 == PTRACE_EVENT_STOP) { /* a group stop: go on with the call */
            ptrace(PTRACE_CONT, r->tid, 0, 0);
            continue;
        }
        if (sig == SIGSEGV && get_regs(r, &g) && g.rip == 0) {
            *ret = g.rax; /* returned to our 0 */
            return true;
        }
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT) {
            snprintf(err, cap, "the call crashed in thread %d (signal %d at %#llx)", (int)r->tid,
                     sig, get_regs(r, &g) ? g.rip : 0);
            return false;
        }
        ptrace(PTRACE_CONT, r->tid, 0, (void *)(long)sig); /* the program's own signal */
    }
    snprintf(err, cap, "process %d ended during the call", (int)r->tid);
    r->stopped = false;
    return false;
}

void remote_release(struct remote *r)
{
    if (r->stopped) {
        ptrace(PTRACE_SETREGS, r->tid, 0, &r->regs);
        if (r->xstate_len) {
            struct iovec iov = {r->xstate, r->xstate_len};
            ptrace(PTRACE_SETREGSET, r->tid, (void *)NT_X86_XSTATE, &iov);
        }
        r->stopped = false;
    }
    if (r->seized)
        ptrace(PTRACE_DETACH, r->tid, 0, 0);
    r->seized = false;
}
