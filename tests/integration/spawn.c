/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - starts /bin/true through posix_spawn and through vfork+execv,
 * and a nonexistent program through posix_spawn (which must fail cleanly).
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int wait_for(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
    char *argv_true[] = { "true", NULL };
    char *argv_none[] = { "no-such-program", NULL };
    void *p = malloc(4321);
    pid_t pid;

    int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, argv_true, environ);
    printf("posix_spawn /bin/true: rc %d status %d\n", rc, rc ? -1 : wait_for(pid));

    rc = posix_spawn(&pid, "/nonexistent/no-such-program", NULL, NULL, argv_none, environ);
    printf("posix_spawn nonexistent: %s\n", rc ? "failed" : (wait_for(pid) == 127 ? "127" : "ran"));

    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        execv("/bin/true", argv_true);
        _exit(127);
    }
    printf("vfork+execv /bin/true: status %d\n", pid < 0 ? -1 : wait_for(pid));
    free(p);
    return 0;
}
