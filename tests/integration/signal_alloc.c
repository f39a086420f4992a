/* SPDX-License-Identifier: MIT */
/*
 * signal_alloc.c - allocates inside signal handlers.
 *
 * Part 1: raise(SIGUSR1) 2000 times; the handler mallocs a block in
 * [3200,3600) and frees the one from the previous signal. raise() delivers
 * the signal before it returns, never inside malloc, so all 2000 are exact.
 * Part 2: an ITIMER_REAL every 1 ms for ~200 ms while the main loop only
 * computes; the handler allocates and frees blocks in [5200,5600) only when
 * the main loop is not inside malloc (async-signal safety is the program's
 * job, not the shim's). Their number varies, so it is not printed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void *previous;
static volatile sig_atomic_t handled;
static volatile sig_atomic_t main_is_computing;
static volatile unsigned long ticks;

static void on_usr1(int sig)
{
    (void)sig;
    void *p = malloc(3200 + (size_t)(handled % 400));
    free(previous);
    previous = p;
    handled++;
}

static void on_alarm(int sig)
{
    (void)sig;
    if (!main_is_computing)
        return;
    void *p = malloc(5200 + (size_t)(ticks % 400));
    free(p);
    ticks++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return 1;
    for (int i = 0; i < 2000; i++)
        raise(SIGUSR1);
    free(previous);
    printf("raise: %d signals handled\n", (int)handled);

    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        return 1;
    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        return 1;
    volatile unsigned long spin = 0;
    double end = now() + 0.2;
    while (now() < end) {
        main_is_computing = 1;
        for (int i = 0; i < 10000; i++)
            spin += (unsigned long)i;
        main_is_computing = 0;
        free(malloc(64)); /* main allocates too, between signals */
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    printf("itimer: %s\n", ticks > 0 ? "handler allocated" : "no tick");
    return 0;
}
