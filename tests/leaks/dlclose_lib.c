/* dlclose_lib.c: a library whose global (.bss) and initialised global
 * (.data) hold the only pointers to blocks it allocates. */
#include <stdlib.h>
#include <string.h>
void *lib_bss_ptr;
static int lib_anchor;
void *lib_data_ptr = &lib_anchor;
__attribute__((noinline)) void lib_fill(void)
{
    lib_bss_ptr = malloc(1234);
    memset(lib_bss_ptr, 0, 1234);
    void **p = malloc(56);
    p[0] = malloc(8);
    memset(p[0], 0, 8);
    lib_data_ptr = p;
}
