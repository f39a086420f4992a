/* tls_dynamic: a dlopened library's __thread variable holds the only pointer
 * to a 444-byte block (dynamic TLS: a heap block reached through the thread's
 * DTV). The library stays loaded. Expect: reachable 444/1 plus the blocks
 * dlopen and the TLS machinery keep (link map, scope, DTV, the TLS block
 * itself), the same blocks under both tools. */
#include "leak.h"
#include <dlfcn.h>
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h)
        return 3;
    void (*put)(size_t) = (void (*)(size_t))dlsym(h, "tls_lib_put");
    if (!put)
        return 4;
    put(444);
    put = NULL;
    scrub();
    say("tls_dynamic\n");
    return 0;
}
