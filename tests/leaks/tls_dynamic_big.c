/* tls_dynamic_big: main uses a dlopened library's 1 MiB __thread array and
 * a __thread pointer to a 1337-byte block: the TLS block (1 MiB + 8, a
 * malloc'd block) is reached only through main's DTV, which glibc's loader
 * allocated at startup outside the heap. Expect: reachable, both blocks
 * (with the loader's blocks for the library: see expect). */
#include "leak.h"
int main(int argc, char **argv)
{
    void *h;
    void (*put)(size_t) = (void (*)(size_t))open_lib_sym(argc, argv, "tls_big_put", &h);
    put(1337);
    put = NULL;
    scrub();
    say("tls_dynamic_big\n");
    return 0;
}
