/* SPDX-License-Identifier: MIT */
/* A thread calls exit(5) while main blocks in read() on a pipe nobody writes. */
#include <pthread.h>

#include "adv.h"

static void *leaver(void *arg)
{
    (void)arg;
    free(adv_marker(100051));
    printf("thread calls exit\n");
    exit(5);
}

int main(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    printf("pipe %d %d\n", fds[0], fds[1]);
    pthread_t t;
    if (pthread_create(&t, NULL, leaver, NULL) != 0)
        return 1;
    char c;
    ssize_t r = read(fds[0], &c, 1); /* never returns: exit() ends the process */
    return (int)r;
}
