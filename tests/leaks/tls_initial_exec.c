/* tls_initial_exec: a dlopened library with an initial-exec __thread
 * pointer (static TLS surplus of every thread) holds a 111-byte block for
 * main. Expect: reachable 111/1 (and the loader's blocks). */
#include "leak.h"
int main(int argc, char **argv)
{
    void *h;
    void (*put)(size_t) = (void (*)(size_t))open_lib_sym(argc, argv, "tls_lib_put", &h);
    put(111);
    put = NULL;
    scrub();
    say("tls_initial_exec\n");
    return 0;
}
