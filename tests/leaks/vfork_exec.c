/* vfork_exec: the parent keeps 100 bytes and vforks; the child execs this
 * program with "child", which loses 210 bytes and keeps 90 (child_image);
 * the parent waits. Expect: parent reachable 100/1; child definitely 210/1,
 * reachable 90/1. */
#include "leak.h"
void *g_keep;
int main(int argc, char **argv)
{
    if (argc > 1) {
        child_image();
        return 0;
    }
    g_keep = xmalloc(100);
    static char *args[3];
    args[0] = argv[0];
    args[1] = "child";
    pid_t pid = vfork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        execv(argv[0], args);
        _exit(9);
    }
    return await_child(pid, "vfork_exec\n");
}
