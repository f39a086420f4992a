/* SPDX-License-Identifier: MIT */
/*
 * main ends in pthread_exit(NULL): alone ("alone"), or with a detached worker
 * that finishes later ("worker"). Natively the last thread's end calls
 * exit(0): atexit handlers run, stdio is flushed, the status is 0. A tracer
 * thread glibc counts would keep the process alive for ever.
 */
#include <pthread.h>

#include "adv.h"

static void at_exit(void)
{
    printf("atexit handler ran\n"); /* no newline flush before: stdout is a pipe */
}

static void *worker(void *arg)
{
    (void)arg;
    usleep(200 * 1000);
    free(adv_marker(100002));
    printf("worker done\n");
    return NULL;
}

int main(int argc, char **argv)
{
    atexit(at_exit);
    free(adv_marker(100001));
    printf("main ends in pthread_exit\n");
    if (argc > 1 && strcmp(argv[1], "worker") == 0) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) != 0)
            return 1;
    }
    pthread_exit(NULL);
}
