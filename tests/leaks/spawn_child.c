/* spawn_child: the parent keeps 100 bytes and starts this program with
 * "child" through posix_spawn; the child loses 210 bytes and keeps 90
 * (child_image); the parent waits. Expect: parent reachable 100/1; child
 * definitely 210/1, reachable 90/1. */
#include "leak.h"
#include <spawn.h>
extern char **environ;
void *g_keep;
int main(int argc, char **argv)
{
    if (argc > 1) {
        child_image();
        return 0;
    }
    g_keep = xmalloc(100);
    char *args[] = {argv[0], "child", NULL};
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, args, environ))
        return 1;
    return await_child(pid, "spawn_child\n");
}
