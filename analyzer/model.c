/* SPDX-License-Identifier: MIT */
/* model.c - see model.h. */
#include "model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "xalloc.h"

char *model_frame_name(const struct sym_frame *f)
{
    char buf[64];
    if (f->function)
        return xstrdup(f->function);
    if (!f->module) {
        snprintf(buf, sizeof(buf), "0x%" PRIx64, f->address);
        return xstrdup(buf);
    }
    const char *base = strrchr(f->module, '/');
    base = base ? base + 1 : f->module;
    size_t n = strlen(base) + 32;
    char *s = xmalloc(n);
    snprintf(s, n, "%s+0x%" PRIx64, base, f->offset);
    return s;
}

/* Symbolizes stack id into st (frames copied; shim frames dropped). */
void model_stack_build(struct model_stack *st, struct replay *rp, uint64_t id,
                       struct symbolizer *sym)
{
    uint32_t depth;
    const uint64_t *ips = replay_stack_ips(rp, id, &depth);
    uint32_t gen_id = id && id < rp->nsites ? rp->stacks[id].modgen : 0;
    const struct replay_modgen *gen = gen_id < rp->nmodgens ? &rp->modgens[gen_id] : NULL;
    size_t cap = 0, keylen = 0;
    memset(st, 0, sizeof(*st));
    st->key = xstrdup("");
    for (uint32_t i = 0; i < depth; i++) {
        const struct sym_frame *fr;
        struct sym_frame one = {.address = ips[i], .offset = ips[i]};
        size_t n = 1;
        if (sym)
            n = sym_lookup(sym, gen, gen_id, ips[i], i == 0, &fr);
        else
            fr = &one;
        for (size_t k = 0; k < n; k++) {
            if (sym_frame_is_shim(&fr[k]))
                continue;
            if (st->nframes == cap) {
                cap = cap ? cap * 2 : 8;
                st->frames = xreallocarray(st->frames, cap, sizeof(*st->frames));
            }
            st->frames[st->nframes++] = fr[k];
            char *name = model_frame_name(&fr[k]);
            size_t nl = strlen(name);
            st->key = xreallocarray(st->key, keylen + nl + 2, 1);
            if (keylen)
                st->key[keylen++] = ';';
            memcpy(st->key + keylen, name, nl + 1);
            keylen += nl;
            free(name);
        }
    }
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
    return a > b ? -1 : a < b ? 1 : 0;
}

static int site_cmp(const void *pa, const void *pb)
{
    const struct model_site *a = pa, *b = pb;
    int c = cmp_u64_desc(a->st->peak_bytes, b->st->peak_bytes);
    if (!c)
        c = cmp_u64_desc(a->st->live_bytes, b->st->live_bytes);
    if (!c)
        c = cmp_u64_desc(a->st->bytes_allocated, b->st->bytes_allocated);
    if (!c)
        c = strcmp(a->stack.key, b->stack.key);
    if (!c)
        c = cmp_u64_desc(b->stack_id, a->stack_id);
    return c;
}

static int function_cmp(const void *pa, const void *pb)
{
    const struct model_function *a = pa, *b = pb;
    int c = cmp_u64_desc(a->peak_bytes, b->peak_bytes);
    if (!c)
        c = cmp_u64_desc(a->leaked_bytes, b->leaked_bytes);
    if (!c)
        c = cmp_u64_desc(a->bytes_allocated, b->bytes_allocated);
    return c ? c : strcmp(a->name, b->name);
}

static int owner_cmp(const void *pa, const void *pb)
{
    const struct model_owner *a = pa, *b = pb;
    int c = cmp_u64_desc(a->g->bytes, b->g->bytes);
    if (!c)
        c = cmp_u64_desc(a->g->live_handles, b->g->live_handles);
    if (!c)
        c = cmp_u64_desc(b->g->kind, a->g->kind);
    return c ? c : strcmp(a->stack.key, b->stack.key);
}

static uint64_t hash_name(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h | 1;
}

/* Merges sites by innermost frame name. */
static void model_functions(struct model *m)
{
    struct htab index;
    htab_init(&index, sizeof(uint64_t));
    m->functions = xcalloc(m->nsites, sizeof(*m->functions));
    for (uint64_t i = 0; i < m->nsites; i++) {
        const struct model_site *s = &m->sites[i];
        char *name = s->stack.nframes ? model_frame_name(&s->stack.frames[0]) : xstrdup("(no stack)");
        uint64_t key = hash_name(name);
        struct model_function *f = NULL;
        for (;; key += 2) {
            bool existed;
            uint64_t *idx = htab_put(&index, key, &existed);
            if (!existed) {
                *idx = m->nfunctions;
                f = &m->functions[m->nfunctions++];
                f->name = name;
                break;
            }
            if (strcmp(m->functions[*idx].name, name) == 0) {
                f = &m->functions[*idx];
                free(name);
                break;
            }
        }
        f->allocations += s->st->allocations;
        f->bytes_allocated += s->st->bytes_allocated;
        f->peak_bytes += s->st->at_peak_bytes;
        f->leaked_bytes += s->st->live_bytes;
        f->leaked_blocks += s->st->live_blocks;
        f->temporary += s->st->temporary;
        f->sites++;
    }
    htab_release(&index);
    qsort(m->functions, m->nfunctions, sizeof(*m->functions), function_cmp);
}

struct model *model_build(struct replay *rp, const struct ht_header *hdr, const char *path,
                          const char *truncation, struct symbolizer *sym)
{
    struct model *m = xcalloc(1, sizeof(*m));
    m->rp = rp;
    m->hdr = hdr;
    m->path = path;
    m->truncation = xstrdup(truncation ? truncation : "");
    m->sites = xcalloc(rp->nsites, sizeof(*m->sites));
    for (uint64_t id = 0; id < rp->nsites; id++) {
        const struct replay_site *st = &rp->sites[id];
        if (!st->allocations && !st->live_blocks)
            continue;
        struct model_site *s = &m->sites[m->nsites++];
        s->stack_id = id;
        s->st = st;
        model_stack_build(&s->stack, rp, id, sym);
    }
    qsort(m->sites, m->nsites, sizeof(*m->sites), site_cmp);
    m->site_index = xcalloc(rp->nsites, sizeof(*m->site_index));
    for (uint64_t i = 0; i < m->nsites; i++)
        m->site_index[m->sites[i].stack_id] = i + 1;
    model_functions(m);
    m->owners = xcalloc(rp->ngroups, sizeof(*m->owners));
    for (uint64_t i = 0; i < rp->ngroups; i++) {
        m->owners[i].g = &rp->groups[i];
        model_stack_build(&m->owners[i].stack, rp, rp->groups[i].stack, sym);
    }
    m->nowners = rp->ngroups;
    qsort(m->owners, m->nowners, sizeof(*m->owners), owner_cmp);
    return m;
}

const struct model_stack *model_stack_of(const struct model *m, uint64_t stack_id)
{
    if (stack_id >= m->rp->nsites || !m->site_index[stack_id])
        return NULL;
    return &m->sites[m->site_index[stack_id] - 1].stack;
}

bool model_has_exit_snapshot(const struct model *m)
{
    return m->exit_lost.valid;
}

void model_leaked(const struct model *m, struct model_leaked *out)
{
    *out = (struct model_leaked){.replaced = m->rp->tot.exec_replaced};
    if (out->replaced)
        return;
    if (model_has_exit_snapshot(m)) {
        out->bytes = m->exit_lost.bytes;
        out->blocks = m->exit_lost.blocks;
        out->lost = true;
    } else {
        out->bytes = m->rp->tot.leaked_bytes;
        out->blocks = m->rp->tot.leaked_blocks;
    }
}

void model_free(struct model *m)
{
    if (!m)
        return;
    for (uint64_t i = 0; i < m->nsites; i++) {
        free(m->sites[i].stack.frames);
        free(m->sites[i].stack.key);
    }
    for (uint64_t i = 0; i < m->nowners; i++) {
        free(m->owners[i].stack.frames);
        free(m->owners[i].stack.key);
    }
    for (uint64_t i = 0; i < m->nfunctions; i++)
        free((char *)m->functions[i].name);
    free(m->functions);
    free(m->owners);
    free(m->sites);
    free(m->site_index);
    free(m->truncation);
    free(m);
}
