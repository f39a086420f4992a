/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - offline symbolization of recorded instruction pointers with
 * libdwfl/libdw: function (demangled), file:line and inlined frames, from
 * the ELF files named by the log's MODULES records, their separate debug
 * files (build-id or .gnu_debuglink) or .symtab/.dynsym.
 *
 * Invariants: never fails. A module that cannot be opened or whose build-id
 * differs from the recorded one yields frames with function = NULL and its
 * module and address (printed as module+0xoffset), after ONE warning on
 * stderr per module. Results are cached per (module list, address); frames
 * strings live until sym_free; the frame array returned by sym_lookup only
 * until the next sym_lookup (copy what you keep).
 */
#ifndef HT_SYMBOLIZE_H
#define HT_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay.h"

struct sym_frame {
    const char *function; /* NULL when unknown */
    const char *file;     /* NULL when unknown */
    uint32_t line;        /* 0 when unknown */
    const char *module;   /* module path as recorded; NULL outside every module */
    uint64_t address;     /* the recorded ip */
    uint64_t offset;      /* ip - module base */
    bool inlined;         /* this frame was inlined into the next (outer) one */
};

struct sym_opts {
    const char *sysroot;   /* prefix for module paths, or NULL */
    const char *debug_dir; /* extra debug directory (build-id tree), or NULL */
    bool quiet;            /* no warnings (tests) */
};

struct symbolizer;

struct symbolizer *sym_create(const struct sym_opts *opts);

/*
 * Frames for `ip` under module list `gen` (may be NULL), innermost first:
 * inlined frames then the function containing ip. `innermost` is true for a
 * stack's first frame, which is not a return address (no -1 adjustment).
 * @return the number of frames (at least 1); *out valid until the next call.
 */
size_t sym_lookup(struct symbolizer *s, const struct replay_modgen *gen, uint32_t gen_id,
                  uint64_t ip, bool innermost, const struct sym_frame **out);

/*
 * The symbol whose extent holds byte `offset` of module `mod` of list gen (a
 * global variable for a root in .data/.bss): its name (demangled), and in
 * *sym_off how far into it the byte lies. NULL when the module is unknown,
 * cannot be opened, or has no symbol there. Strings live until sym_free.
 */
const char *sym_data(struct symbolizer *s, const struct replay_modgen *gen, uint64_t mod,
                     uint64_t offset, uint64_t *sym_off);


/* True when the frame's module is the shim itself (basename libheaptrace*). */
bool sym_frame_is_shim(const struct sym_frame *f);

void sym_free(struct symbolizer *s);

#endif /* HT_SYMBOLIZE_H */
