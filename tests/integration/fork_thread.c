/* SPDX-License-Identifier: MIT */
/*
 * fork_thread.c - forks from a second thread while the main thread waits in
 * pthread_join. The child allocates 100 blocks in [6200,6300), frees 50 and
 * exits; the parent allocates 10 blocks in [7200,7210) around the fork.
 * Both allocate through the same call site (shared_site), so the child's
 * log must define the stacks the parent had already written to its own.
 * The child must get its own log, naming the parent's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_status = -1;

__attribute__((noinline)) static void *shared_site(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
    return p;
}

static void child(void)
{
    void *keep[100];
    for (int i = 0; i < 100; i++) {
        keep[i] = shared_site(6200 + (size_t)i);
        if (!keep[i])
            _exit(1);
    }
    for (int i = 0; i < 100; i += 2)
        free(keep[i]);
    printf("child allocated 100, freed 50\n");
    exit(0); /* leaks the other 50 on purpose */
}

static void *forker(void *arg)
{
    fflush(stdout); /* nothing buffered may be printed twice */
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return NULL;
    }
    if (pid == 0)
        child();
    int st;
    if (waitpid(pid, &st, 0) == pid)
        child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return arg;
}

int main(void)
{
    void *before[5], *after[5];
    for (int i = 0; i < 5; i++)
        before[i] = shared_site(7200 + (size_t)i);
    pthread_t th;
    if (pthread_create(&th, NULL, forker, NULL) != 0)
        return 1;
    pthread_join(th, NULL);
    for (int i = 0; i < 5; i++)
        after[i] = malloc(7205 + (size_t)i);
    for (int i = 0; i < 5; i++) {
        free(before[i]);
        free(after[i]);
    }
    printf("parent: child exited with %d\n", child_status);
    return child_status == 0 ? 0 : 1;
}
