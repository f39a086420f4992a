/* zero_size: malloc(0) and calloc(0, n) blocks are blocks of 0 bytes: two
 * kept in globals, two lost. Expect: reachable 0/2, definitely 0/2. */
#include "leak.h"
void *g_m0, *g_c0;
static NOINLINE void make(void)
{
    g_m0 = malloc(0);
    g_c0 = calloc(0, 16);
    (void)malloc(0);
    (void)calloc(8, 0);
}
int main(void) { make(); scrub(); say("zero_size\n"); return 0; }
