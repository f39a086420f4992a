/* SPDX-License-Identifier: MIT */
/* vfork children that exec (echo) and one whose exec fails (_exit 7). */
#include <sys/wait.h>

#include "adv.h"

static int run_echo(const char *arg)
{
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/bin/echo", "echo", arg, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WEXITSTATUS(st);
}

int main(void)
{
    free(adv_marker(100061));
    static const char *const args[] = {"child0", "child1", "child2"};
    for (int i = 0; i < 3; i++)
        printf("child %d status %d\n", i, run_echo(args[i]));
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/nonexistent/program", "x", (char *)NULL);
        _exit(7);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("failed exec status %d, next open %d\n", WEXITSTATUS(st), open("/dev/null", O_RDONLY));
    free(adv_marker(100062));
    return 0;
}
