/* tls_dynamic_joined: a joined thread put an 88-byte block in a dlopened
 * library's __thread variable; its TLS block stays in glibc's stack cache
 * with the thread's DTV (both glibc's, released by __libc_freeres), so the
 * 88 bytes are the program's leak. Expect: definitely 88/1 (and the
 * loader's blocks for the library, reachable). */
#include "leak.h"
static void (*put)(size_t);
static NOINLINE void *run(void *arg)
{
    put(88);
    return arg;
}
int main(int argc, char **argv)
{
    void *h;
    put = (void (*)(size_t))open_lib_sym(argc, argv, "tls_lib_put", &h);
    run_joined(run, NULL);
    scrub();
    say("tls_dynamic_joined\n");
    return 0;
}
