/* xor_pointer: the only copy of a pointer is stored XORed with a key (a
 * hidden pointer, as in XOR linked lists): no scanner can see it. Expect:
 * definitely 128/1, reachable 0/0. */
#include "leak.h"
uintptr_t g_hidden;
static NOINLINE void make(void)
{
    void *p = xmalloc(128);
    g_hidden = (uintptr_t)p ^ (uintptr_t)0x5a5a5a5a5a5a5a5aull;
}
int main(void) { make(); scrub(); say("xor_pointer\n"); return 0; }
