/* tls_ie_lib.c: a dlopened library whose __thread variable uses the
 * initial-exec model: glibc places it in the static TLS surplus, not in a
 * block of its own. */
#include <stdlib.h>
#include <string.h>
static __thread void *t_ptr __attribute__((tls_model("initial-exec")));
__attribute__((noinline)) void tls_lib_put(size_t n)
{
    t_ptr = malloc(n);
    memset(t_ptr, 0, n);
}
