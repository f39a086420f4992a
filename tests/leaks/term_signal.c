/* term_signal SIG: the program dies of SIGTERM, SIGINT, SIGHUP or SIGQUIT
 * (by number), sent to itself, with no handler of its own: first it checks
 * that sigaction() and signal() report the default action (no handler it
 * did not install may show). A block in a global, one lost. Expect:
 * reachable 260/1, definitely 130/1; killed by the signal. */
#include "leak.h"
#include <signal.h>
void *g_keep;
static NOINLINE void make(void)
{
    g_keep = xmalloc(260);
    (void)xmalloc(130);
}
int main(int argc, char **argv)
{
    int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
        (old.sa_flags & SA_SIGINFO)) {
        say("a handler the program did not install is visible\n");
        return 7;
    }
    make();
    scrub();
    say("term_signal\n");
    kill(getpid(), sig);
    for (;;)
        pause();
}
