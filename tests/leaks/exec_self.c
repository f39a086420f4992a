/* exec_self [N]: the image loses a 100 * (N + 1)-byte block and, while N
 * < 1, execs itself with N + 1: the first image is replaced (its heap goes
 * with it, nothing of it is a leak), the last one exits. Expect: definitely
 * 200/1 in the process's last image. */
#include "leak.h"
static NOINLINE void lose(size_t n) { (void)xmalloc(n); }
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 0;
    lose(100 * (size_t)(n + 1));
    scrub();
    if (n < 1) {
        char *args[] = {argv[0], "1", NULL};
        execv(argv[0], args);
        return 9;
    }
    say("exec_self\n");
    return 0;
}
