/* dlclose_tls: main puts a 71-byte block in a dlopened library's __thread
 * variable, then unloads the library: the TLS block is glibc's to free
 * (it stays in main's DTV until the slot is reused). Expect: as valgrind
 * (see expect for glibc's own blocks). */
#include "leak.h"
int main(int argc, char **argv)
{
    void *h;
    void (*put)(size_t) = (void (*)(size_t))open_lib_sym(argc, argv, "tls_lib_put", &h);
    put(71);
    put = NULL;
    dlclose(h);
    scrub();
    say("dlclose_tls\n");
    return 0;
}
