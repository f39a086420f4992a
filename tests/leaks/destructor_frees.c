/* destructor_frees: a destructor function (run at exit) frees a linked
 * list of 20 blocks kept in a global; a constructor's block is kept.
 * Expect: reachable 64/1. */
#include "leak.h"
struct cell {
    struct cell *next;
    char pad[24];
};
static struct cell *g_list;
void *g_ctor;
__attribute__((constructor)) static void make(void) { g_ctor = xmalloc(64); }
__attribute__((destructor)) static void drop(void)
{
    while (g_list) {
        struct cell *n = g_list->next;
        free(g_list);
        g_list = n;
    }
}
int main(void)
{
    for (int i = 0; i < 20; i++) {
        struct cell *c = xmalloc(sizeof *c);
        c->next = g_list;
        g_list = c;
    }
    say("destructor_frees\n");
    return 0;
}
