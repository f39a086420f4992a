/* SPDX-License-Identifier: MIT */
/*
 * stw.c - stopping the program's other threads for a snapshot, without a
 * signal the program could see, block, wait for or lose.
 *
 * A tracer task (a clone that shares our memory but is a process of its
 * own: no thread may ptrace its own process) attaches every live thread
 * with PTRACE_SEIZE and stops it with PTRACE_INTERRUPT, which queues no
 * signal. It reads each thread's registers into its struct ht_thread,
 * reports, and once the snapshot's copy is made detaches them: they go on
 * where they were. A thread caught while a signal was on its way to it gets
 * that signal back at the detach, so none is lost. LeakSanitizer stops the
 * world the same way. Under Yama's ptrace_scope 1 a process may be traced
 * by its descendants only: the program names the tracer (PR_SET_PTRACER)
 * for the stop's length, then gets back what it had set itself (sandbox.c
 * keeps it).
 *
 * What the program may notice: a thread blocked in a call that the kernel
 * never restarts after a stop (sigwaitinfo, epoll_wait; signal(7) lists
 * them) returns EINTR, as when the process is stopped and continued or a
 * debugger attaches; meanwhile its status shows the tracer as TracerPid.
 *
 * A thread that cannot be attached (another tracer such as gdb or strace
 * holds it, ptrace_scope 3, a process that is not dumpable and no
 * CAP_SYS_PTRACE, no task could be made, a seccomp sandbox) goes on
 * running: its stack is scanned whole, its registers are unknown, and
 * SNAPSHOT_END's notes say so.
 *
 * The tracer shares our thread's TLS (no CLONE_SETTLS): it makes its system
 * calls without errno and calls nothing of libc's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

#define TRACER_STACK (64 * 1024)
#define STOP_WAIT_NS (500 * 1000 * 1000ull) /* a thread that takes longer runs on */

enum { STW_NONE, STW_SEIZED, STW_STOPPED, STW_GONE, STW_REFUSED };

static struct {
    _Atomic int cmd;      /* caller -> tracer: 1 stop them, 2 let them go */
    _Atomic int reported; /* tracer -> caller: 1 once each is stopped or given up */
    _Atomic pid_t alive;  /* nonzero while the tracer lives (CLONE_CHILD_CLEARTID) */
    pid_t pid;            /* the program's */
    const struct ht_thread *caller;
    unsigned refused;     /* threads that could not be attached */

    void *_Atomic tracer_stack;
    pid_t tracer;
    bool ptracer_named;
    bool tracer_lost; /* one outlived its wait: its stack is not ours to reuse */
} stw;

#define SYS(n, a, b, c, d) ht_raw_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* Shared futexes: CLONE_CHILD_CLEARTID wakes one, and the tracer is
 * another process (the same memory, though). */
static void futex_wait(_Atomic int *word, int val, long ns)
{
    struct timespec to = {ns / 1000000000, ns % 1000000000};
    SYS(SYS_futex, word, FUTEX_WAIT, val, &to);
}

static void futex_wake(_Atomic int *word)
{
    SYS(SYS_futex, word, FUTEX_WAKE, INT32_MAX, 0);
}

/* ---- the tracer --------------------------------------------------------- */

static bool is_target(const struct ht_thread *t)
{
    return t != stw.caller && !t->is_writer && atomic_load(&t->state) == HT_TS_LIVE;
}

/* Its registers, in the order register_roots (snapshot.c) expects. */
static void read_regs(struct ht_thread *t)
{
#if defined(__x86_64__)
    struct user_regs_struct r;
    if (SYS(SYS_ptrace, PTRACE_GETREGS, t->tid, 0, &r) != 0)
        return;
    t->sp = r.rsp;
    t->ip = r.rip;
    t->fp = r.rbp;
    const uint64_t v[] = {r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.r8,
                          r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15};
    memcpy(t->regs, v, sizeof v);
    t->nregs = sizeof v / sizeof v[0];
    atomic_store(&t->parked, 1);
#else
    (void)t; /* not stopped as far as the scan knows: its stack is scanned whole */
#endif
}

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    SYS(SYS_nanosleep, &ts, 0, 0, 0);
}

/* Waits (bounded) until every seized thread reports its stop. A thread
 * stopped on its way into a signal (the stop is that signal's, not ours)
 * keeps the signal for the detach. */
static void wait_stops(void)
{
    uint64_t deadline = ht_mono_ns() + STOP_WAIT_NS;
    for (unsigned round = 0;; round++) {
        unsigned waiting = 0;
        for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
            if (t->stw != STW_SEIZED)
                continue;
            int st = 0;
            long r = SYS(SYS_wait4, t->tid, &st, WNOHANG | __WALL, 0);
            if (r == 0) {
                waiting++;
                continue;
            }
            if (r < 0 || !WIFSTOPPED(st)) { /* it exited meanwhile */
                t->stw = STW_GONE;
                continue;
            }
            if ((st >> 16) == 0)
                t->stw_sig = WSTOPSIG(st);
            t->stw = STW_STOPPED;
            read_regs(t);
        }
        if (!waiting || ht_mono_ns() > deadline)
            return;
        if (round < 64)
            SYS(SYS_sched_yield, 0, 0, 0, 0);
        else
            nap(50 * 1000);
    }
}

/* Attaches and stops every target; again for threads that started meanwhile
 * (a stopped thread starts none). */
static void stop_all(void)
{
    for (unsigned pass = 0; pass < 16; pass++) {
        unsigned seized = 0;
        for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
            if (!is_target(t) || t->stw != STW_NONE)
                continue;
            /* Ours still? A thread gone without our exit hook leaves its
             * state live, and its tid may be another process's by now. */
            if (SYS(SYS_tgkill, stw.pid, t->tid, 0, 0) != 0) {
                t->stw = STW_GONE;
                continue;
            }
            if (SYS(SYS_ptrace, PTRACE_SEIZE, t->tid, 0, 0) != 0) {
                t->stw = STW_REFUSED;
                stw.refused++;
                continue;
            }
            t->stw = STW_SEIZED;
            SYS(SYS_ptrace, PTRACE_INTERRUPT, t->tid, 0, 0);
            seized++;
        }
        if (!seized)
            return;
        wait_stops();
    }
}

static void resume_all(void)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (t->stw == STW_SEIZED || t->stw == STW_STOPPED)
            SYS(SYS_ptrace, PTRACE_DETACH, t->tid, 0, t->stw_sig);
        atomic_store(&t->parked, 0);
        t->stw = STW_NONE;
        t->stw_sig = 0;
    }
}

static void wait_cmd(int want)
{
    while (atomic_load(&stw.cmd) < want) {
        futex_wait(&stw.cmd, atomic_load(&stw.cmd), 100 * 1000 * 1000);
        if (SYS(SYS_getppid, 0, 0, 0, 0) != stw.pid)
            return; /* the program is gone */
    }
}

static int tracer_main(void *arg)
{
    (void)arg;
    SYS(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
    if (SYS(SYS_getppid, 0, 0, 0, 0) != stw.pid)
        return 0;
    wait_cmd(1);
    stop_all();
    atomic_store(&stw.reported, 1);
    futex_wake(&stw.reported);
    wait_cmd(2);
    resume_all();
    return 0; /* glibc's clone calls SYS_exit; the kernel clears stw.alive */
}

/* ---- the caller --------------------------------------------------------- */

static bool others_live(const struct ht_thread *self)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next)
        if (t != self && !t->is_writer && atomic_load(&t->state) == HT_TS_LIVE)
            return true;
    return false;
}

/* Starts the tracer with every signal blocked: a tracer is sent SIGCHLD as
 * its tracees stop, and it holds copies of the program's handlers. */
static pid_t start_tracer(void *stack)
{
    sigset_t all, old;
    sigfillset(&all);
    SYS(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(long));
    atomic_store(&stw.alive, 1);
    int pid = clone(tracer_main, (char *)stack + TRACER_STACK,
                    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED | CLONE_CHILD_CLEARTID,
                    NULL, NULL, NULL, &stw.alive);
    SYS(SYS_rt_sigprocmask, SIG_SETMASK, &old, 0, sizeof(long));
    if (pid < 0)
        atomic_store(&stw.alive, 0);
    return pid;
}

static void note(unsigned code)
{
    uint8_t buf[HT_VARINT_MAX];
    ht_writer_put(HT_REC_NOTE, buf, (size_t)(ht_put_uvarint(buf, code) - buf), true);
}

void ht_snapshot_park_threads(void)
{
    int saved_errno = errno;
    struct ht_thread *self = ht_self;
    if (!others_live(self))
        goto out;
    void *stack =
        ht_sandboxed() || stw.tracer_lost ? NULL : HT_MEM_ONCE(&stw.tracer_stack, TRACER_STACK);
    stw.pid = getpid();
    stw.caller = self;
    stw.refused = 0;
    atomic_store(&stw.cmd, 0);
    atomic_store(&stw.reported, 0);
    stw.tracer = stack ? start_tracer(stack) : -1;
    if (stw.tracer <= 0) {
        stw.tracer = 0;
        note(HT_NOTE_NOT_STOPPED);
        goto out;
    }
    stw.ptracer_named = ht_real_prctl(PR_SET_PTRACER, (unsigned long)stw.tracer) == 0;
    atomic_store(&stw.cmd, 1);
    futex_wake(&stw.cmd);
    while (!atomic_load(&stw.reported) && atomic_load(&stw.alive))
        futex_wait(&stw.reported, 0, 10 * 1000 * 1000);
    if (stw.refused || !atomic_load(&stw.reported))
        note(HT_NOTE_NOT_STOPPED);
out:
    errno = saved_errno;
}

void ht_snapshot_release_threads(void)
{
    if (!stw.tracer)
        return;
    int saved_errno = errno;
    atomic_store(&stw.cmd, 2);
    futex_wake(&stw.cmd);
    uint64_t deadline = ht_mono_ns() + 10 * 1000 * 1000 * 1000ull;
    int a;
    while ((a = atomic_load(&stw.alive)) != 0 && ht_mono_ns() < deadline)
        futex_wait(&stw.alive, a, 10 * 1000 * 1000);
    if (a)
        stw.tracer_lost = true;
    else
        SYS(SYS_wait4, stw.tracer, 0, __WCLONE, 0); /* ECHILD if the program reaped it */
    if (stw.ptracer_named)
        ht_real_prctl(PR_SET_PTRACER, ht_program_ptracer());
    stw.ptracer_named = false;
    stw.tracer = 0;
    errno = saved_errno;
}
