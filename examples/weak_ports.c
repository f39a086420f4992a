/* SPDX-License-Identifier: MIT */
/*
 * weak_ports.c - the example traced by scripts/demo: a toy server whose heap
 * keeps growing although it leaks nothing at exit.
 *
 * Each request opens a port (a small struct with a name) and an iconv
 * descriptor for it, converts a message, and closes the port opened WINDOW
 * requests earlier, so the number of live ports stays constant.  Every port
 * is also registered in a global chained hash table so the server can list
 * its ports.  Closing a port only marks its table slot dead: the slot stays
 * linked, and it takes over the port's iconv descriptor, to be closed "when
 * the table is next rebuilt".  The table is rebuilt only when the number of
 * live ports changes a lot, which never happens in steady state.
 *
 * So every request leaves a 32-byte dead slot behind, and that slot keeps
 * alive the buffer glibc allocated inside iconv_open (about 32 KiB on
 * glibc 2.36), which the program never sees.  At exit the table is torn down
 * and everything is freed: a leak checker finds nothing, heaptrace sees the
 * growth per "request" mark and who keeps it alive.
 *
 * usage: weak_ports [REQUESTS=10000]   prints one line
 */
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaptrace.h"

enum { WINDOW = 32, NBUCKETS = 64 };

struct port {
    uint32_t id;
    char name[28];
    iconv_t cd;
};

/* A table entry.  Dead when port == NULL; a dead entry may still own `cd`. */
struct slot {
    struct slot *next;
    struct port *port;
    iconv_t cd;
    uint32_t id;
};

static struct slot **table; /* NBUCKETS chains, made by table_new */
static size_t live_slots, dead_slots;

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("weak_ports: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static void table_add(struct port *p)
{
    struct slot *s = xmalloc(sizeof(*s));
    s->port = p;
    s->cd = (iconv_t)-1;
    s->id = p->id;
    s->next = table[p->id % NBUCKETS];
    table[p->id % NBUCKETS] = s;
    live_slots++;
}

/* The bug: the slot is marked dead and keeps the descriptor, but stays linked. */
static void table_forget(struct port *p)
{
    for (struct slot *s = table[p->id % NBUCKETS]; s; s = s->next) {
        if (s->port == p) {
            s->port = NULL;
            s->cd = p->cd;
            live_slots--;
            dead_slots++;
            return;
        }
    }
}

static void table_new(void)
{
    table = calloc(NBUCKETS, sizeof(*table));
    if (!table) {
        fputs("weak_ports: out of memory\n", stderr);
        exit(1);
    }
}

/* Frees every slot and closes what the dead ones still own. */
static void table_destroy(void)
{
    for (int b = 0; b < NBUCKETS; b++) {
        struct slot *s = table[b];
        while (s) {
            struct slot *next = s->next;
            if (s->cd != (iconv_t)-1)
                iconv_close(s->cd);
            free(s);
            s = next;
        }
        table[b] = NULL;
    }
    free(table);
    table = NULL;
}

static struct port *port_open(uint32_t id)
{
    struct port *p = xmalloc(sizeof(*p));
    p->id = id;
    snprintf(p->name, sizeof(p->name), "port-%u", (unsigned)id);
    p->cd = iconv_open("UTF-8", "ISO-8859-1");
    if (p->cd == (iconv_t)-1) {
        perror("weak_ports: iconv_open");
        exit(1);
    }
    table_add(p);
    return p;
}

static void port_close(struct port *p)
{
    table_forget(p);
    free(p);
}

/* Converts a Latin-1 greeting on the port; returns a checksum of the output. */
static uint32_t port_serve(struct port *p)
{
    char in[64], out[128];
    int n = snprintf(in, sizeof(in), "caf\xe9 %s \xbfqu\xe9 tal?", p->name);
    char *ip = in, *op = out;
    size_t il = (size_t)n, ol = sizeof(out);
    if (iconv(p->cd, &ip, &il, &op, &ol) == (size_t)-1) {
        perror("weak_ports: iconv");
        exit(1);
    }
    uint32_t h = 2166136261u;
    for (const char *c = out; c < op; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h;
}

int main(int argc, char **argv)
{
    long requests = argc > 1 ? atol(argv[1]) : 10000;
    struct port *ring[WINDOW] = {0};
    uint32_t sum = 0;

    table_new();
    for (long r = 0; r < requests; r++) {
        struct port **slot = &ring[r % WINDOW];
        if (*slot)
            port_close(*slot);
        *slot = port_open((uint32_t)r + 1);
        sum += port_serve(*slot);
        heaptrace_mark("request");
    }

    size_t dead = dead_slots, live = live_slots;
    for (int i = 0; i < WINDOW; i++)
        if (ring[i])
            port_close(ring[i]);
    table_destroy();
    printf("weak_ports: %ld requests, %zu live ports, %zu dead slots kept, checksum %08x\n",
           requests, live, dead, (unsigned)sum);
    return 0;
}
