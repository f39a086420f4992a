/* fork_child: the parent keeps a 100-byte block in a global and forks; the
 * child loses 3 blocks of 70 bytes and keeps one of 90 on its stack when it
 * calls exit(); the parent waits and returns. Expect: parent reachable
 * 100/1; child reachable 100 + 90 = 190/2, definitely 210/3. */
#include "leak.h"
#include <sys/wait.h>
void *g_keep;
static NOINLINE void lose(void)
{
    for (int i = 0; i < 3; i++)
        (void)xmalloc(70);
}
static NOINLINE void child(void)
{
    lose();
    scrub();
    void *volatile keep = xmalloc(90);
    exit(keep ? 0 : 1);
}
int main(void)
{
    g_keep = xmalloc(100);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0)
        child();
    int st;
    waitpid(pid, &st, 0);
    scrub();
    say("fork_child\n");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
