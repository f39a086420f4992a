/* SPDX-License-Identifier: MIT */
/*
 * exit_paths.c MODE - ends in one of the ways a process can end, with a
 * block leaked first: return (r), exit() from a second thread (t), _exit (u),
 * abort (a), a segmentation fault (s). snapshot_exits.sh checks each leaves
 * its final snapshot and END, and dies with the same status as natively.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *exit_from_thread(void *arg)
{
    (void)arg;
    exit(3);
}

int main(int argc, char **argv)
{
    void *volatile lost = malloc(1234);
    lost = NULL; /* leaked */
    volatile int *volatile nowhere = lost;
    char mode = argc > 1 ? argv[1][0] : 'r';
    printf("mode %c\n", mode);
    fflush(stdout);
    switch (mode) {
    case 't': {
        pthread_t th;
        pthread_create(&th, NULL, exit_from_thread, NULL);
        pthread_join(th, NULL);
        break;
    }
    case 'u': _exit(7);
    case 'a': abort();
    case 's': *nowhere = 1; break;
    default: break;
    }
    return 0;
}
