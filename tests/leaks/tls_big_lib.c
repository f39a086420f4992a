/* tls_big_lib.c: a library (loaded with dlopen) with 1 MiB of dynamic TLS
 * and a __thread pointer beside it: its TLS block is allocated on first use
 * by __tls_get_addr. */
#include <stdlib.h>
#include <string.h>
static __thread char t_big[1 << 20];
static __thread void *t_ptr;
__attribute__((noinline)) void tls_big_put(size_t n)
{
    t_big[0] = 1;
    t_ptr = malloc(n);
    memset(t_ptr, 0, n);
}
