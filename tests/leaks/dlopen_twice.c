/* dlopen_twice: a library opened twice and closed once stays loaded; its
 * .data and .bss hold 1234 + 56 + 8 bytes of blocks. Expect: reachable
 * 1298/3 with the loader's blocks for a loaded library (see expect). */
#include "leak.h"
int main(int argc, char **argv)
{
    void *h1, *h2;
    void (*fill)(void) = (void (*)(void))open_lib_sym(argc, argv, "lib_fill", &h1);
    (void)open_lib_sym(argc, argv, "lib_fill", &h2);
    fill();
    fill = NULL;
    dlclose(h2);
    scrub();
    say("dlopen_twice\n");
    return 0;
}
