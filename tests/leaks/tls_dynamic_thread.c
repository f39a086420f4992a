/* tls_dynamic_thread: a thread still running at exit put a 99-byte block in
 * a dlopened library's __thread variable: its TLS block hangs off the
 * thread's DTV (a heap block the thread's TCB points into). Expect: the
 * 99-byte block and the TLS block found through the DTV (see expect). */
#include "leak.h"
static void (*put)(size_t);
static NOINLINE void *run(void *arg)
{
    put(99);
    scrub();
    park_forever();
    return arg;
}
int main(int argc, char **argv)
{
    void *h;
    put = (void (*)(size_t))open_lib_sym(argc, argv, "tls_lib_put", &h);
    start_parked(run);
    scrub();
    say("tls_dynamic_thread\n");
    return 0;
}
