/* SPDX-License-Identifier: MIT */
/*
 * weak_table.c - a weak table that is never vacuumed: every entry is a cell
 * whose key slot is a disappearing link to an object nobody else keeps.
 * Collections clear the slots; the cells stay. Prints its own counts for
 * gc_check.py to compare with the report.
 */
#include <gc/gc.h>
#include <stdio.h>
#include <string.h>

#define ENTRIES 20000

struct cell {
    void *key; /* the disappearing link: the cell is atomic, so it does not keep key alive */
    size_t hash;
};

static struct cell **table; /* a root in .bss: the table and its cells stay reachable */

int main(void)
{
    GC_INIT();
    table = GC_malloc_uncollectable(ENTRIES * sizeof *table);
    unsigned registered = 0, unregistered = 0;
    for (unsigned i = 0; i < ENTRIES; i++) {
        void *obj = GC_malloc(256);
        memset(obj, (int)i, 256);
        struct cell *c = GC_malloc_atomic(sizeof *c);
        c->key = obj;
        c->hash = i;
        if (GC_general_register_disappearing_link(&c->key, obj) == GC_SUCCESS)
            registered++;
        if (i % 10 == 9 && GC_unregister_disappearing_link(&c->key))
            unregistered++; /* an entry removed properly: its slot keeps the pointer */
        table[i] = c;
    }
    GC_gcollect();
    unsigned cleared = 0;
    for (unsigned i = 0; i < ENTRIES; i++)
        cleared += table[i]->key == NULL;
    printf("registered=%u unregistered=%u cleared=%u collections=%lu\n", registered,
           unregistered, cleared, (unsigned long)GC_get_gc_no());
    return 0;
}
