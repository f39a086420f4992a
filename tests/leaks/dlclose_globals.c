/* dlclose_globals: a dlopened library stores the only pointers to a 1234-byte
 * block (.bss) and to a 56-byte block holding an 8-byte one (.data), then is
 * unloaded with dlclose. Its writable segments are gone: nothing points at
 * the blocks any more. Expect: definitely 1234 + 56 = 1290/2, indirectly
 * 8/1; dlopen's own bookkeeping is freed by dlclose. */
#include "leak.h"
int main(int argc, char **argv)
{
    void *h;
    void (*fill)(void) = (void (*)(void))open_lib_sym(argc, argv, "lib_fill", &h);
    fill();
    fill = NULL;
    if (dlclose(h))
        return 5;
    h = NULL;
    scrub();
    say("dlclose_globals\n");
    return 0;
}
