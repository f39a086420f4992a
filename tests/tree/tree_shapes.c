/* SPDX-License-Identifier: MIT */
/*
 * tree_shapes MODE [LEAKER]: a process tree with known leaks in every image
 * (tests/tree/README.md). Each image loses its blocks in a function of its
 * own and scrubs the stack (tests/leaks/leak.h), so the blocks are
 * definitely lost for valgrind and heaptrace alike. No stdio (its buffers
 * are heap blocks: noise).
 *
 *   leak N SIZE   lose N blocks of SIZE bytes, exit 0 (the exec'd image)
 *   fork          lose 1 x 100; fork; the child loses 5 x 1000 and exits;
 *                 the parent waits and returns       -> 5200 B in 7 blocks
 *                 (the child's copy of the parent's lost block is lost in
 *                 the child too: valgrind counts it in both)
 *   exec          lose 2 x 300 (replaced: they count nowhere), exec
 *                 LEAKER leak 5 1000                   -> 5000 B in 5 blocks
 *   exec-self     lose 2 x 300, exec itself (argv[0]) as "leak 5 1000"  -> 5000 / 5
 *   fork-exec     lose 1 x 100; fork; the child execs LEAKER leak 5 1000;
 *                 the parent waits                   -> 5100 B in 6 blocks
 *   spawn         lose 1 x 100; posix_spawn LEAKER leak 5 1000; wait
 *                                                    -> 5100 B in 6 blocks
 *   fork-exit     fork; the child loses 3 x 700 and calls _exit; the parent
 *                 loses 4 x 50                       -> 2300 B in 7 blocks
 */
#include "../leaks/leak.h" /* xmalloc, scrub */

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static NOINLINE void lose(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        (void)xmalloc(size);
}

static int wait_child(pid_t pid)
{
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void exec_leaker(const char *leaker)
{
    char *argv[] = {(char *)leaker, "leak", "5", "1000", NULL};
    execve(leaker, argv, environ);
    _exit(98);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *mode = argv[1], *leaker = argc > 2 ? argv[2] : argv[0];
    if (strcmp(mode, "leak") == 0 && argc == 4) {
        lose(atoi(argv[2]), (size_t)atoi(argv[3]));
        scrub();
        return 0;
    }
    if (strcmp(mode, "fork") == 0 || strcmp(mode, "fork-exec") == 0) {
        lose(1, 100);
        scrub();
        pid_t pid = fork();
        if (pid == 0) {
            if (strcmp(mode, "fork-exec") == 0)
                exec_leaker(leaker);
            lose(5, 1000);
            scrub();
            exit(0);
        }
        return wait_child(pid);
    }
    if (strcmp(mode, "fork-exit") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            lose(3, 700);
            scrub();
            _exit(0);
        }
        int rc = wait_child(pid);
        lose(4, 50);
        scrub();
        return rc;
    }
    if (strcmp(mode, "exec") == 0 || strcmp(mode, "exec-self") == 0) {
        lose(2, 300);
        scrub();
        exec_leaker(strcmp(mode, "exec") == 0 ? leaker : argv[0]);
    }
    if (strcmp(mode, "spawn") == 0) {
        lose(1, 100);
        scrub();
        pid_t pid;
        char *cargv[] = {(char *)leaker, "leak", "5", "1000", NULL};
        if (posix_spawn(&pid, leaker, NULL, NULL, cargv, environ) != 0)
            return 1;
        return wait_child(pid);
    }
    return 2;
}
