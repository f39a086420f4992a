/* SPDX-License-Identifier: MIT */
/*
 * iconv_finalizers.c - GC objects that own an iconv_t, closed only by the
 * object's finalizer (as Guile's ports are). The program drops each object
 * at once; the malloc behind the iconv_t waits for a collection the GC
 * starts only by its own allocation count. Prints its own counts.
 */
#include <gc/gc.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#define OBJECTS 3000
#define LIVE_BYTES (8u << 20)
#define GARBAGE_PER_OBJECT 2048

struct converter {
    iconv_t cd;
    unsigned id;
};

static unsigned closed;
static void **live; /* ~8 MiB of GC data the program keeps */

static void close_converter(void *obj, void *data)
{
    struct converter *c = obj;
    (void)data;
    iconv_close(c->cd);
    closed++;
}

static struct converter *converter_new(unsigned id)
{
    struct converter *c = GC_malloc(sizeof *c);
    c->cd = iconv_open("UTF-16", "UTF-8");
    c->id = id;
    GC_register_finalizer(c, close_converter, NULL, NULL, NULL);
    return c;
}

int main(void)
{
    GC_INIT();
    live = GC_malloc(LIVE_BYTES / 4096 * sizeof *live);
    for (unsigned i = 0; i < LIVE_BYTES / 4096; i++)
        live[i] = GC_malloc_atomic(4096);
    unsigned opened = 0;
    for (unsigned i = 0; i < OBJECTS; i++) {
        struct converter *c = converter_new(i);
        opened += c->cd != (iconv_t)-1;
        char *scratch = GC_malloc_atomic(GARBAGE_PER_OBJECT); /* garbage: paces the GC */
        memset(scratch, 1, GARBAGE_PER_OBJECT);
    }
    printf("opened=%u closed_by_finalizer=%u collections=%lu\n", opened, closed,
           (unsigned long)GC_get_gc_no());
    return 0;
}
