/* SPDX-License-Identifier: MIT */
/*
 * rt_storm.c - real-time signals during snapshots. A sender thread queues
 * SIGRTMIN+2 and SIGRTMIN+7 (the one heaptrace once parked threads with)
 * to the process (sigqueue) as fast as the queue takes them,
 * while a worker allocates; a handler counts what arrives. Real-time
 * signals queue: natively every one sent is received. Prints both counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SENDS 20000

static atomic_long received, stop;

static void on_rt(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)info;
    (void)uc;
    atomic_fetch_add(&received, 1);
}

static void *sender(void *arg)
{
    long *sent = arg;
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 2);
    sigaddset(&rt, SIGRTMIN + 7);
    pthread_sigmask(SIG_BLOCK, &rt, NULL); /* delivered to the other threads */
    union sigval v = {0};
    while (*sent < SENDS) {
        if (sigqueue(getpid(), *sent % 2 ? SIGRTMIN + 7 : SIGRTMIN + 2, v) == 0)
            (*sent)++;
        else if (errno == EAGAIN)
            sched_yield(); /* the queue is full: let the receivers catch up */
    }
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    void *keep[32] = {0};
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        free(keep[i % 32]);
        keep[i % 32] = malloc(16 + i % 1000);
    }
    for (int i = 0; i < 32; i++)
        free(keep[i]);
    return NULL;
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGRTMIN + 2, &sa, NULL);
    sigaction(SIGRTMIN + 7, &sa, NULL);
    long sent = 0;
    pthread_t s, w;
    pthread_create(&w, NULL, worker, NULL);
    pthread_create(&s, NULL, sender, &sent);
    pthread_join(s, NULL);
    /* Whatever is still queued arrives once the receivers run; a signal
     * that never comes ends the wait once nothing arrives for 3 s. */
    for (long last = -1, quiet = 0; atomic_load(&received) < sent && quiet < 3000;) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        long now = atomic_load(&received);
        quiet = now == last ? quiet + 1 : 0;
        last = now;
    }
    atomic_store(&stop, 1);
    pthread_join(w, NULL);
    printf("sent %ld, received %ld\n", sent, atomic_load(&received));
    return 0;
}
