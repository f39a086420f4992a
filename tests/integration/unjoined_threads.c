/* SPDX-License-Identifier: MIT */
/*
 * unjoined_threads.c - threads that exit and are never joined nor detached
 * keep their stacks mapped (glibc cannot reuse or unmap them): 4 such
 * threads, next to 2 joined, 1 created detached and 1 detached after it
 * started, all of them finished before main returns. The report must count
 * the 4, and only them, as the owner kind "thread" (unjoined_threads.sh).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg)
{
    (void)arg;
    return NULL;
}

int main(void)
{
    pthread_t lost[4], joined[2], later;
    for (int i = 0; i < 4; i++)
        pthread_create(&lost[i], NULL, work, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&joined[i], NULL, work, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t born_detached;
    pthread_create(&born_detached, &attr, work, NULL);
    pthread_attr_destroy(&attr);
    pthread_create(&later, NULL, work, NULL);
    pthread_detach(later);
    for (int i = 0; i < 2; i++)
        pthread_join(joined[i], NULL);
    usleep(200 * 1000); /* the detached and the lost ones finish meanwhile */
    printf("unjoined_threads: 4 never joined\n");
    return 0;
}
