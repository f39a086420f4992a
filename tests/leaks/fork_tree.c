/* fork_tree: the parent forks two children, the first of which forks a
 * grandchild; every process loses a block of its own size (parent 11,
 * child 22, grandchild 33, second child 44) besides the 500-byte block the
 * parent keeps in a global before forking (every process inherits it).
 * Expect: per process as valgrind; summed over the tree, definitely
 * 110/4 and reachable 2000/4. */
#include "leak.h"
#include <sys/wait.h>
void *g_keep;
static NOINLINE void lose(size_t n) { (void)xmalloc(n); }
static void wait_all(void)
{
    int st;
    while (wait(&st) > 0)
        ;
}
int main(void)
{
    g_keep = xmalloc(500);
    pid_t a = fork();
    if (a == 0) {
        if (fork() == 0) {
            lose(33);
            scrub();
            return 0;
        }
        wait_all();
        lose(22);
        scrub();
        return 0;
    }
    if (a > 0 && fork() == 0) {
        lose(44);
        scrub();
        return 0;
    }
    wait_all();
    lose(11);
    scrub();
    say("fork_tree\n");
    return 0;
}
