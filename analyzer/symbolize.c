/* SPDX-License-Identifier: MIT */
/*
 * symbolize.c - see symbolize.h.
 *
 * Each distinct module (path, build-id) gets its own Dwfl session, opened
 * on first use and reported at address 0: an ip is looked up by its offset
 * in the module, so one session serves every process of a tree (a make
 * runs cc1 six times: its debug info is read once) and every place a
 * module was loaded at (dlclose, then dlopen elsewhere). Frames are stored
 * in one growing array; the cache maps (module, offset) to a run of it,
 * whose frames get the asking ip as their address.
 */
#include "symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "htab.h"
#include "xalloc.h"

/* From libstdc++ (linked into the analyzer only). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

enum sym_state { SYM_UNOPENED, SYM_OK, SYM_FAILED };

struct sym_module {
    char *path;
    uint64_t base;
    uint8_t *build_id;
    size_t build_id_len;
    enum sym_state state;
    Dwfl *dwfl;
    Dwfl_Module *mod;
};

struct sym_run {
    uint64_t rel;  /* the offset in the module (or the ip, outside every module) */
    uint32_t mod;  /* index in mods + 1, 0: outside every module */
    uint32_t first, count, innermost;
};

struct symbolizer {
    struct sym_opts opts;
    char *debuginfo_path;
    Dwfl_Callbacks callbacks;
    struct sym_module *mods;
    size_t nmods;
    struct htab module_index; /* hash of (path, build-id) -> mods index */
    struct sym_frame *frames;
    size_t nframes, frames_cap;
    struct htab cache; /* hash of (module, offset, innermost) -> struct sym_run */
    char **strings;    /* owned strings (names, files) */
    size_t nstrings;
};

struct symbolizer *sym_create(const struct sym_opts *opts)
{
    struct symbolizer *s = xcalloc(1, sizeof(*s));
    s->opts = *opts;
    const char *root = opts->sysroot ? opts->sysroot : "";
    size_t n = strlen(root) + (opts->debug_dir ? strlen(opts->debug_dir) : 0) + 64;
    s->debuginfo_path = xmalloc(n);
    if (opts->debug_dir)
        snprintf(s->debuginfo_path, n, "-:.debug:%s:%s/usr/lib/debug", opts->debug_dir, root);
    else
        snprintf(s->debuginfo_path, n, "-:.debug:%s/usr/lib/debug", root);
    s->callbacks.find_elf = dwfl_build_id_find_elf;
    s->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    s->callbacks.debuginfo_path = &s->debuginfo_path;
    htab_init(&s->module_index, sizeof(size_t));
    htab_init(&s->cache, sizeof(struct sym_run));
    return s;
}

static const char *sym_keep(struct symbolizer *s, char *str)
{
    if ((s->nstrings & (s->nstrings - 1)) == 0)
        s->strings = xreallocarray(s->strings, s->nstrings ? s->nstrings * 2 : 1, sizeof(char *));
    s->strings[s->nstrings++] = str;
    return str;
}

static uint64_t hash_str(const char *p, uint64_t h)
{
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h;
}

/* ----------------------------------------------------------------- modules */

/* One warning per module: module_open runs once per module. */
static void sym_warn(struct symbolizer *s, const char *path, const char *why)
{
    if (!s->opts.quiet)
        fprintf(stderr, "heaptrace-report: warning: %s '%s'; showing module+offset\n", why, path);
}

static void module_open(struct symbolizer *s, struct sym_module *m)
{
    m->state = SYM_FAILED;
    const char *root = s->opts.sysroot ? s->opts.sysroot : "";
    size_t n = strlen(root) + strlen(m->path) + 1;
    char *file = xmalloc(n);
    snprintf(file, n, "%s%s", root, m->path);
    if (access(file, R_OK) != 0) {
        sym_warn(s, file, "cannot read module");
        free(file);
        return;
    }
    m->dwfl = dwfl_begin(&s->callbacks);
    if (!m->dwfl) {
        free(file);
        return;
    }
    dwfl_report_begin(m->dwfl);
    const char *base = strrchr(m->path, '/');
    m->mod = dwfl_report_elf(m->dwfl, base ? base + 1 : m->path, file, -1, 0, false);
    dwfl_report_end(m->dwfl, NULL, NULL);
    if (!m->mod) {
        sym_warn(s, file, dwfl_errmsg(-1));
        free(file);
        return;
    }
    const unsigned char *bits;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(m->mod, &bits, &vaddr);
    if (m->build_id_len &&
        (len != (int)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len) != 0)) {
        sym_warn(s, file, "build-id differs from the traced module");
        m->mod = NULL;
        free(file);
        return;
    }
    free(file);
    m->state = SYM_OK;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static struct sym_module *module_get(struct symbolizer *s, const struct ht_module *hm)
{
    uint64_t key = hash_bytes(hm->build_id, hm->build_id_len,
                              hash_str(hm->path, 0xcbf29ce484222325ull)) | 1;
    for (;; key += 2) { /* probe on (rare) hash collisions */
        bool existed;
        size_t *idx = htab_put(&s->module_index, key, &existed);
        if (!existed) {
            s->mods = xreallocarray(s->mods, s->nmods + 1, sizeof(*s->mods));
            struct sym_module *m = &s->mods[s->nmods];
            *m = (struct sym_module){.path = xstrdup(hm->path), .base = hm->base,
                                     .build_id_len = hm->build_id_len};
            m->build_id = xmalloc(hm->build_id_len ? hm->build_id_len : 1);
            if (hm->build_id_len)
                memcpy(m->build_id, hm->build_id, hm->build_id_len);
            *idx = s->nmods++;
            return m;
        }
        struct sym_module *m = &s->mods[*idx];
        if (m->build_id_len == hm->build_id_len && strcmp(m->path, hm->path) == 0 &&
            (!hm->build_id_len || memcmp(m->build_id, hm->build_id, hm->build_id_len) == 0))
            return m;
    }
}

static const struct ht_module *gen_find(const struct replay_modgen *gen, uint64_t ip)
{
    if (!gen)
        return NULL;
    for (size_t i = 0; i < gen->count; i++) {
        const struct ht_module *m = &gen->mods[i];
        for (uint32_t j = 0; j < m->nseg; j++) {
            uint64_t lo = m->base + m->segs[j].vaddr;
            if (ip >= lo && ip - lo < m->segs[j].memsz)
                return m;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ frames */

static char *demangle(const char *name)
{
    if (name[0] == '_' && name[1] == 'Z') {
        int status;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d && status == 0)
            return d;
        free(d);
    }
    return xstrdup(name);
}

static const char *die_name(struct symbolizer *s, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    return name ? sym_keep(s, demangle(name)) : NULL;
}

static struct sym_frame *frame_push(struct symbolizer *s, const struct sym_frame *f)
{
    if (s->nframes == s->frames_cap) {
        s->frames_cap = s->frames_cap ? s->frames_cap * 2 : 256;
        s->frames = xreallocarray(s->frames, s->frames_cap, sizeof(*s->frames));
    }
    s->frames[s->nframes] = *f;
    return &s->frames[s->nframes++];
}

static bool is_function_scope(Dwarf_Die *d)
{
    int tag = dwarf_tag(d);
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
}

/* The caller's file for an inlined scope (DW_AT_call_file). */
static const char *call_file(struct symbolizer *s, Dwarf_Die *cu, Dwarf_Die *scope)
{
    Dwarf_Attribute attr;
    Dwarf_Word idx;
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_formudata(dwarf_attr(scope, DW_AT_call_file, &attr), &idx) != 0 ||
        dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
        return NULL;
    const char *f = dwarf_filesrc(files, idx, NULL, NULL);
    return f ? sym_keep(s, xstrdup(f)) : NULL;
}

/* DWARF scopes at addr: the function, and the inlined chain around it. */
static void frames_from_dwarf(struct symbolizer *s, Dwfl_Module *mod, uint64_t addr,
                              struct sym_frame *first)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
    if (!cu)
        return;
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, addr - bias, &scopes);
    if (n > 0) {
        /* dwarf_getscopes continues an inlined_subroutine with the scopes
         * around its abstract origin, not with its caller; the caller chain
         * is the innermost DIE's lexical parents (as eu-addr2line -i does). */
        Dwarf_Die innermost = scopes[0];
        free(scopes);
        scopes = NULL;
        n = dwarf_getscopes_die(&innermost, &scopes);
    }
    size_t cur = (size_t)(first - s->frames);
    for (int i = 0; i < n; i++) {
        if (!is_function_scope(&scopes[i]))
            continue;
        const char *name = die_name(s, &scopes[i]);
        if (name)
            s->frames[cur].function = name;
        if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
            break;
        /* scopes[i] was inlined: the caller is the next function scope out */
        s->frames[cur].inlined = true;
        Dwarf_Attribute attr;
        Dwarf_Word line = 0;
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &line);
        struct sym_frame caller = s->frames[cur];
        caller.function = NULL;
        caller.inlined = false;
        caller.file = call_file(s, cu, &scopes[i]);
        caller.line = (uint32_t)line;
        frame_push(s, &caller);
        cur = s->nframes - 1;
    }
    free(scopes);
}

/* rel: the ip's offset in m (m is reported at address 0). */
static void frames_lookup(struct symbolizer *s, struct sym_module *m, uint64_t rel, bool innermost,
                          struct sym_frame *base_frame)
{
    uint64_t addr = innermost || rel == 0 ? rel : rel - 1;
    struct sym_frame *f = frame_push(s, base_frame);
    size_t first = s->nframes - 1;
    if (!m || m->state != SYM_OK)
        return;
    Dwfl_Line *line = dwfl_module_getsrc(m->mod, addr);
    if (line) {
        int lineno = 0;
        const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        f->file = file ? sym_keep(s, xstrdup(file)) : NULL;
        f->line = (uint32_t)(lineno > 0 ? lineno : 0);
    }
    frames_from_dwarf(s, m->mod, addr, &s->frames[first]);
    if (!s->frames[first].function) {
        GElf_Off off;
        GElf_Sym sym;
        const char *name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);
        if (name)
            s->frames[first].function = sym_keep(s, demangle(name));
    }
}

size_t sym_lookup(struct symbolizer *s, const struct replay_modgen *gen, uint32_t gen_id,
                  uint64_t ip, bool innermost, const struct sym_frame **out)
{
    (void)gen_id; /* the cache is per module, whatever list (or log) it came from */
    const struct ht_module *hm = gen_find(gen, ip);
    struct sym_module *m = hm ? module_get(s, hm) : NULL;
    uint32_t mod = m ? (uint32_t)(m - s->mods) + 1 : 0;
    uint64_t rel = hm ? ip - hm->base : ip;
    uint64_t key = ((rel * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)mod * 0xC2B2AE3D27D4EB4Full) ^
                    innermost) |
                   1;
    struct sym_run *run = htab_get(&s->cache, key);
    if (run && run->rel == rel && run->mod == mod && run->innermost == innermost) {
        /* another process's ip for the same place: the frames take this one */
        for (uint32_t k = 0; k < run->count; k++)
            s->frames[run->first + k].address = ip;
        *out = &s->frames[run->first];
        return run->count;
    }
    if (m && m->state == SYM_UNOPENED)
        module_open(s, m);
    struct sym_frame base = {.address = ip, .module = m ? m->path : NULL, .offset = rel};
    size_t first = s->nframes;
    frames_lookup(s, m, rel, innermost, &base);
    struct sym_run fresh = {.rel = rel, .mod = mod, .first = (uint32_t)first,
                            .count = (uint32_t)(s->nframes - first), .innermost = innermost};
    if (!run) /* on a (rare) key collision the older entry stays */
        *(struct sym_run *)htab_put(&s->cache, key, NULL) = fresh;
    *out = &s->frames[first];
    return fresh.count;
}

const char *sym_data(struct symbolizer *s, const struct replay_modgen *gen, uint64_t mod,
                     uint64_t offset, uint64_t *sym_off)
{
    if (!gen || mod >= gen->count)
        return NULL;
    const struct ht_module *hm = &gen->mods[mod];
    struct sym_module *m = module_get(s, hm);
    if (m->state == SYM_UNOPENED)
        module_open(s, m);
    if (m->state != SYM_OK)
        return NULL;
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(m->mod, offset, &off, &sym, NULL, NULL, NULL);
    /* addrinfo also answers with the nearest symbol below: only one that
     * covers the address names it */
    if (!name || (sym.st_size && off >= sym.st_size))
        return NULL;
    *sym_off = off;
    return sym_keep(s, demangle(name));
}

bool sym_frame_is_shim(const struct sym_frame *f)
{
    if (!f->module)
        return false;
    const char *base = strrchr(f->module, '/');
    return strncmp(base ? base + 1 : f->module, "libheaptrace", 12) == 0;
}

void sym_free(struct symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nmods; i++) {
        if (s->mods[i].dwfl)
            dwfl_end(s->mods[i].dwfl);
        free(s->mods[i].path);
        free(s->mods[i].build_id);
    }
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    free(s->strings);
    free(s->mods);
    free(s->frames);
    htab_release(&s->module_index);
    htab_release(&s->cache);
    free(s->debuginfo_path);
    free(s);
}
