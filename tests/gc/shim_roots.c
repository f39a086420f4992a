/* SPDX-License-Identifier: MIT */
/*
 * shim_roots.c - run under the shim: libgc scans the writable segments of
 * every loaded library as roots, ours too, so the shim's static data must
 * hold no address inside the collected heap (each would keep an object
 * alive that the program dropped, and change what it prints). Grows the
 * heap over many sections (each one an anonymous mapping the shim notes),
 * then looks for such words in libheaptrace.so's writable segments.
 * Exit 0: none; 1: some (listed); 77: not under the shim.
 */
#define _GNU_SOURCE
#include <gc/gc.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int found, shim_seen;

static int check_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (!strstr(info->dlpi_name, "libheaptrace"))
        return 0;
    shim_seen = 1;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        const char *seg = (const char *)(info->dlpi_addr + ph->p_vaddr);
        for (size_t off = 0; off + sizeof(void *) <= ph->p_memsz; off += sizeof(void *)) {
            void *word;
            memcpy(&word, seg + off, sizeof word);
            if (GC_base(word)) {
                printf("shim_roots: libheaptrace.so+%#lx holds %p, inside the GC heap\n",
                       (unsigned long)(ph->p_vaddr + off), word);
                found++;
            }
        }
    }
    return 0;
}

int main(void)
{
    GC_INIT();
    void **keep = GC_malloc(4096 * sizeof *keep);
    for (unsigned i = 0; i < 200000; i++) { /* ~200 MB allocated, 4 MB kept */
        void *p = GC_malloc(1024);
        memset(p, 1, 1024);
        keep[i % 4096] = p;
    }
    GC_gcollect();
    dl_iterate_phdr(check_module, NULL);
    if (!shim_seen) {
        puts("shim_roots: run me with LD_PRELOAD=libheaptrace.so");
        return 77;
    }
    printf("shim_roots: %d words of the shim's data point into the GC heap (%zu bytes)\n", found,
           (size_t)GC_get_heap_size());
    return found ? 1 : 0;
}
