/* SPDX-License-Identifier: MIT */
/*
 * park_blocked.c - a thread that blocks every signal while a snapshot
 * parks the others, then unblocks them. The park signal is still pending
 * for it; once the snapshot is over, the program's action for that signal
 * is back (by default: terminate), and the program must not die of it when
 * the thread unblocks. Prints "park_blocked ok" and exits 0 when it lives.
 */
#include <heaptrace.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int blocked, snapshot_done;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    atomic_store(&blocked, 1);
    while (!atomic_load(&snapshot_done))
        nap_ms(1);
    pthread_sigmask(SIG_UNBLOCK, &all, NULL); /* a pending park signal lands now */
    nap_ms(20);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!atomic_load(&blocked))
        nap_ms(1);
    heaptrace_snapshot();
    atomic_store(&snapshot_done, 1);
    pthread_join(t, NULL);
    puts("park_blocked ok");
    return 0;
}
