/* SPDX-License-Identifier: MIT */
/*
 * test_symbolize.c - symbolization of sym_target (argv[1], built with -g):
 * function names (C and demangled C++), file:line, the module+offset
 * fallback for a missing module and for a build-id mismatch.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "symbolize.h"

/* st_value of the symbol `name` in the ELF file path (0 when absent). */
static uint64_t symbol_value(const char *path, const char *name)
{
    elf_version(EV_CURRENT);
    int fd = open(path, O_RDONLY);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    uint64_t v = 0;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) && !v) {
        GElf_Shdr sh;
        gelf_getshdr(scn, &sh);
        if (sh.sh_type != SHT_SYMTAB)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym sym;
            gelf_getsym(d, (int)i, &sym);
            if (strcmp(elf_strptr(e, sh.sh_link, sym.st_name), name) == 0)
                v = sym.st_value;
        }
    }
    elf_end(e);
    close(fd);
    return v;
}

static struct ht_module make_module(const char *path, uint64_t base, const uint8_t *bid,
                                    size_t bid_len, struct ht_module_seg *seg)
{
    seg->vaddr = 0;
    seg->memsz = 1u << 30;
    seg->flags = 5;
    return (struct ht_module){.path = (char *)path, .base = base, .build_id = (uint8_t *)bid,
                              .build_id_len = bid_len, .segs = seg, .nseg = 1};
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *target = argv[1];
    uint64_t plain = symbol_value(target, "plain_function");
    uint64_t grow = symbol_value(target, "_ZN14heaptrace_test4growEi");
    CHECK(plain != 0 && grow != 0);
    const uint64_t base = 0x10000000;

    struct ht_module_seg seg;
    struct ht_module mod = make_module(target, base, NULL, 0, &seg);
    struct replay_modgen gen = {&mod, 1};
    struct sym_opts o = {.quiet = true};
    struct symbolizer *s = sym_create(&o);
    const struct sym_frame *f;
    size_t n = sym_lookup(s, &gen, 0, base + plain, true, &f);
    CHECK(n >= 1);
    CHECK_HAS(f[n - 1].function, "plain_function");
    CHECK_HAS(f[n - 1].file, "sym_target.cc");
    CHECK(f[n - 1].line >= 11 && f[n - 1].line <= 14);
    CHECK_EQ(f[0].offset, plain);
    /* a return address into grow: looked up at ip - 1 */
    n = sym_lookup(s, &gen, 0, base + grow + 1, false, &f);
    CHECK_HAS(f[n - 1].function, "heaptrace_test::grow(int)");
    /* cached: same answer */
    size_t n2 = sym_lookup(s, &gen, 0, base + grow + 1, false, &f);
    CHECK_EQ(n2, n);
    CHECK_HAS(f[n - 1].function, "heaptrace_test::grow(int)");
    sym_free(s);

    /* missing module and build-id mismatch: module+offset, no function */
    static const uint8_t wrong_id[4] = {1, 2, 3, 4};
    struct ht_module_seg seg2[2];
    struct ht_module mods[2] = {make_module("/nonexistent/libfoo.so", 0x20000000, NULL, 0, &seg2[0]),
                                make_module(target, 0x70000000, wrong_id, 4, &seg2[1])};
    seg2[0].memsz = 0x1000;
    struct replay_modgen gen2 = {mods, 2};
    s = sym_create(&o);
    n = sym_lookup(s, &gen2, 0, 0x20000010, true, &f);
    CHECK_EQ(n, 1);
    CHECK(f[0].function == NULL);
    CHECK_HAS(f[0].module, "libfoo.so");
    CHECK_EQ(f[0].offset, 0x10);
    n = sym_lookup(s, &gen2, 0, 0x70000000 + plain, true, &f);
    CHECK(f[0].function == NULL);
    CHECK_EQ(f[0].offset, plain);
    /* outside every module */
    n = sym_lookup(s, &gen2, 0, 0x99, true, &f);
    CHECK(f[0].module == NULL);
    sym_free(s);
    return check_exit();
}
