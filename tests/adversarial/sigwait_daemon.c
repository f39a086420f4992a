/* SPDX-License-Identifier: MIT */
/*
 * sigwait_daemon.c - a daemon's signal thread: every signal blocked in every
 * thread, one thread takes them all with sigwaitinfo() on the full set and
 * prints each one. Workers allocate meanwhile (snapshots have threads to
 * stop). main sends a known list of signals, waits until each has arrived,
 * naps (periodic snapshots happen here) and exits while the signal thread
 * still waits (the exit snapshot happens here). A signal of the tracer's
 * would be printed: the output must be exactly the list sent. EINTR is
 * retried, as daemons do (a stop of any kind may cause it: signal(7)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int received, stop_workers;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *signal_thread(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            perror("sigwaitinfo");
            exit(3);
        }
        char line[64];
        int n = snprintf(line, sizeof line, "signal %d from %s\n", sig,
                         info.si_pid == getpid() ? "self" : "elsewhere");
        if (write(1, line, (size_t)n) != n)
            exit(4);
        atomic_fetch_add(&received, 1);
    }
    return NULL;
}

static void *worker(void *arg)
{
    void **keep = arg;
    for (unsigned i = 0; !atomic_load(&stop_workers); i++) {
        free(keep[i % 64]);
        keep[i % 64] = malloc(32 + i % 512);
        if (i % 256 == 0)
            nap_ms(1);
    }
    return NULL;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* every thread inherits it */
    pthread_t st, w[2];
    static void *keep[2][64];
    pthread_create(&st, NULL, signal_thread, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&w[i], NULL, worker, keep[i]);
    const int sigs[] = {SIGUSR1, SIGHUP, SIGRTMIN + 3, SIGUSR2, SIGRTMIN + 7, SIGRTMIN + 3,
                        SIGTERM, SIGINT, SIGRTMAX, SIGUSR1};
    const int n = (int)(sizeof sigs / sizeof sigs[0]);
    for (int i = 0; i < n; i++) {
        kill(getpid(), sigs[i]);
        while (atomic_load(&received) < i + 1)
            nap_ms(1);
        nap_ms(30); /* periodic snapshots run between the signals */
    }
    atomic_store(&stop_workers, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    nap_ms(100);
    printf("sent %d, received %d\n", n, atomic_load(&received));
    fflush(stdout);
    return 0; /* the exit snapshot: the signal thread still waits */
}
