/* dlerror_main: main makes dlopen fail and reads dlerror(); glibc keeps the
 * message in main's per-thread buffer (reachable from its TLS; valgrind's
 * __libc_freeres frees it). A 17-byte block is lost. Expect: definitely
 * 17/1 (glibc's buffer: see expect). */
#include "leak.h"
static NOINLINE void lose(void) { (void)xmalloc(17); }
int main(void)
{
    if (dlopen("./no-such-library-here.so", RTLD_NOW) || !dlerror())
        return 5;
    lose();
    scrub();
    say("dlerror_main\n");
    return 0;
}
