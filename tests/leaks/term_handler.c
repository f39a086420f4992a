/* term_handler: the program installs its own SIGTERM handler (which frees a
 * block and calls exit), then sends itself SIGTERM: its handler must run,
 * not ours. A block lost before. Expect: definitely 44/1, exit status 3. */
#include "leak.h"
#include <signal.h>
void *g_a;
static NOINLINE void lose(void) { (void)xmalloc(44); }
static void on_term(int sig)
{
    (void)sig;
    free(g_a);
    g_a = NULL;
    exit(3);
}
int main(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, &old) != 0 || old.sa_handler != SIG_DFL)
        return 7;
    g_a = xmalloc(500);
    lose();
    scrub();
    say("term_handler\n");
    kill(getpid(), SIGTERM);
    for (;;)
        pause();
}
