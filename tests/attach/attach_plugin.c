/* SPDX-License-Identifier: MIT */
/*
 * attach_plugin.c - a library attach_server dlopens while it runs (after an
 * attach): its allocations go through its own GOT, which heaptrace must
 * route when the library appears. plugin_remember keeps every block.
 */
#include <stdlib.h>

void plugin_remember(unsigned long id);

static void **kept;
static size_t nkept, room;

__attribute__((noinline)) void plugin_remember(unsigned long id)
{
    if (nkept == room) {
        room = room ? 2 * room : 1u << 16;
        kept = realloc(kept, room * sizeof *kept);
    }
    char *p = malloc(96);
    p[0] = (char)id;
    kept[nkept++] = p;
}
