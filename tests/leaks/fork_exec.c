/* fork_exec: the parent keeps 100 bytes and forks; the child loses 70 bytes
 * and execs this program with "child": the new image loses 210 bytes and
 * keeps 90 in a global (child_image); the parent waits. Expect: parent
 * reachable 100/1; child (its last image) definitely 210/1, reachable 90/1. */
#include "leak.h"
void *g_keep;
static NOINLINE void lose(size_t n) { (void)xmalloc(n); }
int main(int argc, char **argv)
{
    if (argc > 1) {
        child_image();
        return 0;
    }
    g_keep = xmalloc(100);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        lose(70);
        char *args[] = {argv[0], "child", NULL};
        execv(argv[0], args);
        _exit(9);
    }
    return await_child(pid, "fork_exec\n");
}
