/* tls_lib.c: a library with a dynamic TLS variable (loaded with dlopen, so
 * its TLS block is allocated on first use by __tls_get_addr). */
#include <stdlib.h>
#include <string.h>
static __thread void *t_lib_ptr;
__attribute__((noinline)) void tls_lib_put(size_t n)
{
    t_lib_ptr = malloc(n);
    memset(t_lib_ptr, 0, n);
}
__attribute__((noinline)) void *tls_lib_get(void) { return t_lib_ptr; }
