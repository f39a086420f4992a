/* dlclose_globals: a dlopened library stores the only pointers to a 1234-byte
 * block (.bss) and to a 56-byte block holding an 8-byte one (.data), then is
 * unloaded with dlclose. Its writable segments are gone: nothing points at
 * the blocks any more. Expect: definitely 1234 + 56 = 1290/2, indirectly
 * 8/1, and dlopen's own bookkeeping freed by dlclose. */
#include "leak.h"
#include <dlfcn.h>
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h)
        return 3;
    void (*fill)(void) = (void (*)(void))dlsym(h, "lib_fill");
    if (!fill)
        return 4;
    fill();
    fill = NULL;
    if (dlclose(h))
        return 5;
    h = NULL;
    scrub();
    say("dlclose_globals\n");
    return 0;
}
