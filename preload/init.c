/* SPDX-License-Identifier: MIT */
/*
 * init.c - starting and ending the tracer.
 *
 * ht_init runs at the first intercepted call or from our constructor,
 * whichever comes first. It must not rely on libc being fully up: the first
 * malloc can come from the dynamic loader. When `environ` is not set yet it
 * resolves the real functions only and tries again at the next call. The
 * writer thread is started from the constructor (never from inside a malloc
 * that might hold a loader lock); events recorded before it wait in the ring.
 *
 * Secure-execution programs (setuid) keep the shim inert: calls are forwarded
 * and nothing is written.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "ht.h"

extern char **environ;
_Atomic int ht_init_state;

/* Removes our library from LD_PRELOAD in place, so exec'd programs are not
 * traced (HEAPTRACE_FOLLOW_EXEC=0). Edits the existing string: no allocation. */
static void scrub_ld_preload(void)
{
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
            continue;
        char *s = *e + 11, *out = s;
        while (*s) {
            char *end = s;
            while (*end && *end != ':' && *end != ' ')
                end++;
            size_t n = (size_t)(end - s);
            bool ours = memmem(s, n, "libheaptrace", 12) != NULL;
            if (!ours && n) {
                if (out != *e + 11)
                    *out++ = ':';
                memmove(out, s, n);
                out += n;
            }
            s = *end ? end + 1 : end;
        }
        *out = '\0';
    }
}

void ht_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&ht_init_state, &expected, 1))
        return; /* done, inert, or another call is initializing: forward */
    ht_guard++;
    ht_real_resolve();
    ht_gc_resolve();
    if (!environ) {
        atomic_store(&ht_init_state, 0); /* too early: try again later */
        ht_guard--;
        return;
    }
    if (getauxval(AT_SECURE)) {
        atomic_store(&ht_init_state, 3);
        ht_guard--;
        return;
    }
    ht_config_read();
    if (!ht_config.follow_exec && !ht_attach_mode)
        scrub_ld_preload();
    ht_modules_init_self();
    ht_sink_note_first_thread();
    ht_unwind_init();
    ht_thread_init_key();
    pthread_atfork(ht_writer_atfork_prepare, ht_writer_atfork_parent, ht_writer_atfork_child);
    if (!ht_writer_open(false)) {
        atomic_store(&ht_init_state, 3);
        ht_guard--;
        return;
    }
    ht_process_set_owner();
    atomic_store(&ht_active, true);
    atomic_store(&ht_init_state, 2);
    ht_thread_get(); /* the first thread: THREAD_START */
    ht_modules_check(); /* the initial module map */
    ht_guard--;
}

static void on_snapshot_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ht_snapshot_request(HT_SNAP_SIGNAL); /* an atomic store and a futex wake */
    errno = saved;
}

/* HEAPTRACE_SNAPSHOT_SIGNAL: the user chose a signal the program does not use. */
static void install_snapshot_signal(void)
{
    if (!ht_config.snapshot_signal)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_snapshot_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(ht_config.snapshot_signal, &sa, NULL);
}

/*
 * A fatal signal the program does not handle itself: finish the log (with
 * its final snapshot) and die of the same signal, with the default action,
 * so the exit status and a core dump are what they would have been. The
 * terminate-by-default signals a user or a supervisor sends (SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT) end the program the same way.
 */
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
                                    SIGTERM, SIGINT, SIGHUP, SIGQUIT};

/* Signals where our handler stands in for the program's SIG_DFL. */
static _Atomic bool standing_in[65];

static bool is_terminate(int sig)
{
    return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uc_);

static void stand_in(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == 0)
        atomic_store(&standing_in[sig], true);
}

/* Terminate signals that arrived while this thread was inside our own
 * bookkeeping (a record half written, a ticket not yet published: the exit
 * snapshot would wait for it forever); blocked in this thread until
 * ht_leave (ht_signal_resume). */
__thread unsigned ht_deferred_signals __attribute__((tls_model("initial-exec")));

static void defer_signal(int sig, ucontext_t *uc)
{
    stand_in(sig); /* SA_RESETHAND made it SIG_DFL */
    sigaddset(&uc->uc_sigmask, sig); /* blocked here once the handler returns */
    ht_deferred_signals |= 1u << sig;
    kill(getpid(), sig); /* pending for the process: the first thread free to take it does */
}

void ht_signal_resume(void)
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig = 1; sig < 32; sig++)
        if (ht_deferred_signals & (1u << sig))
            sigaddset(&set, sig);
    ht_deferred_signals = 0;
    pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* a pending one runs its handler now */
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uc_)
{
    (void)info;
    if (ht_seccomp_strict)
        return; /* no system call allowed: SA_RESETHAND left SIG_DFL, a fault comes back to it */
    if (ht_guard && is_terminate(sig)) {
        defer_signal(sig, uc_);
        return;
    }
    if (sig > 0 && sig < 65)
        atomic_store(&standing_in[sig], false); /* SA_RESETHAND restored SIG_DFL */
    HT_MARK_PROGRAM_SP(); /* above us: the kernel's signal frame, then the program */
    ht_writer_finish(HT_END_SIGNAL + (unsigned)sig);
    signal(sig, SIG_DFL); /* standing_in is false: this reaches the real one */
    if (is_terminate(sig)) { /* blocked while the handler runs? (a deferred one is not) */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    raise(sig); /* asynchronous signals (abort, kill) die here; a fault re-executes and dies */
}

/* A thread about to enter seccomp's strict mode could neither finish the
 * log nor die again of a terminate signal from our handler (no system call
 * is left to it): those signals go back to SIG_DFL for the process (the
 * program's own handlers stay). */
void ht_signals_before_strict(void)
{
    static const int terminate[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof terminate / sizeof terminate[0]; i++)
        if (atomic_exchange(&standing_in[terminate[i]], false))
            signal(terminate[i], SIG_DFL);
}

static void install_fatal_handlers(void)
{
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        struct sigaction old;
        if (sigaction(fatal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue; /* the program (or its runtime) handles or ignores it: leave it alone */
        stand_in(fatal_signals[i]);
    }
}

/*
 * While our handler stands in for SIG_DFL, the program must see SIG_DFL: a
 * query reports it, setting SIG_DFL again keeps ours (so abort() after
 * signal(SIGABRT, SIG_DFL) still gets its snapshot), and any real handler
 * of the program replaces ours for good.
 */
HT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    HT_NEXT(sigaction);
    if (sig <= 0 || sig >= 65 || !atomic_load(&standing_in[sig]))
        return real_sigaction(sig, act, old);
    if (old) {
        memset(old, 0, sizeof *old);
        old->sa_handler = SIG_DFL;
    }
    if (!act || (act->sa_handler == SIG_DFL && !(act->sa_flags & SA_SIGINFO)))
        return 0;
    atomic_store(&standing_in[sig], false);
    return real_sigaction(sig, act, NULL);
}

HT_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
    HT_NEXT(signal);
    if (sig <= 0 || sig >= 65 || !atomic_load(&standing_in[sig]))
        return real_signal(sig, handler);
    if (handler == SIG_DFL)
        return SIG_DFL;
    atomic_store(&standing_in[sig], false);
    real_signal(sig, handler);
    return SIG_DFL;
}

__attribute__((constructor(101))) static void ht_constructor(void)
{
    int saved = errno; /* the program's errno at main() is the loader's, as natively */
    if (ht_loaded_late()) { /* heaptrace attach: tracing starts in heaptrace__attach */
        errno = saved;
        return;
    }
    ht_init();
    if (atomic_load(&ht_init_state) == 2) {
        install_snapshot_signal();
        if (ht_config.snapshots)
            install_fatal_handlers();
        ht_writer_start();
    }
    errno = saved;
}

__attribute__((destructor(101))) static void ht_destructor(void)
{
    HT_MARK_PROGRAM_SP();
    int saved = errno; /* later destructors and atexit handlers may look */
    if (atomic_load(&ht_active) && ht_config.snapshots) {
        uint64_t exit_sp = ht_unwind_exit_sp(); /* not exit's frames below (unwind.c) */
        if (exit_sp > ht_program_sp)
            ht_program_sp = exit_sp;
    }
    ht_writer_finish(HT_END_EXIT);
    errno = saved;
    /* Our state is deliberately left in place: later destructors may still
     * call free(), which simply forwards now that tracing has stopped. */
}
