/* tls_dynamic: a dlopened library's __thread variable holds the only pointer
 * to a 444-byte block (dynamic TLS: a heap block reached through the thread's
 * DTV). The library stays loaded. Expect: reachable 444/1 plus the blocks
 * dlopen and the TLS machinery keep (link map, scope, the TLS block itself,
 * the resized DTV; see README). */
#include "leak.h"
int main(int argc, char **argv)
{
    void *h;
    void (*put)(size_t) = (void (*)(size_t))open_lib_sym(argc, argv, "tls_lib_put", &h);
    put(444);
    put = NULL;
    scrub();
    say("tls_dynamic\n");
    return 0;
}
