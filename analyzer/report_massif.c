/* SPDX-License-Identifier: MIT */
/*
 * report_massif.c - valgrind's massif.out format, for ms_print and
 * massif-visualizer: one snapshot per timeline sample (mem_heap_B) and a
 * detailed heap tree at the peak, built from each site's share of the peak.
 * Tree nodes are innermost frame first, as massif writes them; children
 * are sorted by bytes, then name, so the file is deterministic.
 */
#include "report_extra.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct mnode {
    char *name;
    uint64_t bytes;
    struct mnode *kids;
    size_t nkids, cap;
};

static struct mnode *mnode_child(struct mnode *n, const char *name)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (strcmp(n->kids[i].name, name) == 0)
            return &n->kids[i];
    if (n->nkids == n->cap) {
        n->cap = n->cap ? n->cap * 2 : 4;
        n->kids = xreallocarray(n->kids, n->cap, sizeof(*n->kids));
    }
    struct mnode *k = &n->kids[n->nkids++];
    memset(k, 0, sizeof(*k));
    k->name = xstrdup(name);
    return k;
}

static char *massif_frame(const struct sym_frame *f)
{
    char *fn = model_frame_name(f);
    size_t n = strlen(fn) + (f->file ? strlen(f->file) : 0) + 64;
    char *s = xmalloc(n);
    if (f->file)
        snprintf(s, n, "0x%" PRIX64 ": %s (%s:%" PRIu32 ")", f->address, fn, f->file, f->line);
    else
        snprintf(s, n, "0x%" PRIX64 ": %s", f->address, fn);
    free(fn);
    return s;
}

static int mnode_cmp(const void *pa, const void *pb)
{
    const struct mnode *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void mnode_write(struct mnode *n, unsigned depth, FILE *out)
{
    if (n->nkids)
        qsort(n->kids, n->nkids, sizeof(*n->kids), mnode_cmp);
    fprintf(out, "%*sn%zu: %" PRIu64 " %s\n", depth, "", n->nkids, n->bytes, n->name);
    for (size_t i = 0; i < n->nkids; i++)
        mnode_write(&n->kids[i], depth + 1, out);
}

static void mnode_free(struct mnode *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        mnode_free(&n->kids[i]);
    free(n->kids);
    free(n->name);
}

static void massif_tree(const struct model *m, FILE *out)
{
    struct mnode root = {.name = xstrdup("(heap allocation functions) malloc/new/new[], --alloc-fns, etc.")};
    for (uint64_t i = 0; i < m->nsites; i++) {
        const struct model_site *s = &m->sites[i];
        uint64_t v = s->st->at_peak_bytes;
        if (!v)
            continue;
        root.bytes += v;
        struct mnode *n = &root;
        if (s->stack.nframes == 0) {
            n = mnode_child(n, "0x0: (no stack)");
            n->bytes += v;
        }
        for (uint32_t k = 0; k < s->stack.nframes; k++) {
            char *name = massif_frame(&s->stack.frames[k]);
            n = mnode_child(n, name);
            free(name);
            n->bytes += v;
        }
    }
    mnode_write(&root, 0, out);
    mnode_free(&root);
}

static void massif_snapshot(FILE *out, unsigned no, uint64_t t_us, uint64_t heap)
{
    fprintf(out, "#-----------\nsnapshot=%u\n#-----------\ntime=%" PRIu64 "\nmem_heap_B=%" PRIu64
                 "\nmem_heap_extra_B=0\nmem_stacks_B=0\n",
            no, t_us / 1000, heap);
}

void massif_write(const struct model *m, FILE *out)
{
    const struct replay *rp = m->rp;
    fputs("desc: heaptrace\ncmd:", out);
    for (uint32_t i = 0; i < m->hdr->argc; i++)
        fprintf(out, " %s", m->hdr->argv[i]);
    if (m->hdr->argc == 0)
        fprintf(out, " %s", m->hdr->exe);
    fputs("\ntime_unit: ms\n", out);
    unsigned no = 0;
    bool peak_done = false;
    for (uint64_t i = 0; i <= rp->ntimeline; i++) {
        bool last = i == rp->ntimeline;
        if (!peak_done && (last || rp->timeline[i].t_us > rp->tot.peak_time_us)) {
            massif_snapshot(out, no++, rp->tot.peak_time_us, rp->tot.peak_bytes);
            fputs("heap_tree=peak\n", out);
            massif_tree(m, out);
            peak_done = true;
        }
        if (last)
            break;
        massif_snapshot(out, no++, rp->timeline[i].t_us, rp->timeline[i].heap_bytes);
        fputs("heap_tree=empty\n", out);
    }
}

int massif_write_file(const struct model *m, const char *path)
{
    FILE *f = report_open_output(path);
    if (!f)
        return HT_EXIT_USAGE;
    massif_write(m, f);
    return report_close_output(f, path);
}
