/* SPDX-License-Identifier: MIT */
/*
 * mklog.c - writes synthetic logs with logbuild for the CLI test and the
 * fuzz seed corpus:
 *   mklog sample FILE [ITERATIONS]   lb_sample
 *   mklog tree DIR                   parent (pid 500) forking 501 (logged) and
 *                                    502 (no log), 501 execs (same pid, new log)
 *   mklog corpus DIR                 a few small valid logs
 *   mklog leaks FILE                 lb_leak_sample: a heap snapshot with every leak class
 *   mklog gc FILE                    lb_gc_sample: GC records (collections, links, finalizers)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logbuild.h"

static int write_sample(const char *path, unsigned iterations, int with_end)
{
    struct logbuild b;
    lb_sample(&b, iterations, with_end);
    int rc = lb_write(&b, path, 2);
    lb_release(&b);
    return rc;
}

static int write_proc(const char *dir, const char *name, uint64_t pid, uint64_t ppid,
                      const char *exe, const char *parent, uint64_t start_us, uint64_t leak,
                      const uint64_t *forks, int nforks)
{
    static const uint64_t ips[] = {0x401000};
    char path[512], log_path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(log_path, sizeof(log_path), "/original/place/%s", name);
    struct logbuild b;
    lb_init(&b, HT_FORMAT_VERSION);
    lb_rec(&b, HT_REC_HEADER, "uuuuuuuSuSSS", pid, ppid, (uint64_t)1700000000000000000ull + start_us * 1000,
           (uint64_t)8, (uint64_t)4096, (uint64_t)64, (uint64_t)HT_FLAG_FOLLOW_FORK, exe,
           (uint64_t)1, exe, log_path, parent);
    lb_stack(&b, 1, ips);
    lb_alloc(&b, 1, HT_FN_MALLOC, 0x1000, leak, 1);
    for (int i = 0; i < nforks; i++)
        lb_event(&b, HT_REC_FORK, 2, "u", forks[i]);
    lb_end(&b, 3, HT_END_EXIT);
    int rc = lb_write(&b, path, 1);
    lb_release(&b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "sample") == 0)
        return write_sample(argv[2], argc > 3 ? (unsigned)atoi(argv[3]) : 20, 1) ? 1 : 0;
    if (argc == 3 && strcmp(argv[1], "tree") == 0) {
        static const uint64_t forks[] = {501, 502};
        return write_proc(argv[2], "heaptrace.500", 500, 1, "/bin/parent", "", 0, 100, forks, 2) ||
               write_proc(argv[2], "heaptrace.501", 501, 500, "/bin/child", "/elsewhere/heaptrace.500",
                          10, 200, NULL, 0) ||
               write_proc(argv[2], "heaptrace.501.1", 501, 500, "/bin/execd", "", 20, 300, NULL, 0);
    }
    if (argc == 3 && strcmp(argv[1], "leaks") == 0) {
        struct logbuild b;
        lb_leak_sample(&b);
        int rc = lb_write(&b, argv[2], 1);
        lb_release(&b);
        return rc ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "gc") == 0) {
        struct logbuild b;
        lb_gc_sample(&b);
        int rc = lb_write(&b, argv[2], 1);
        lb_release(&b);
        return rc ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "corpus") == 0) {
        char path[512];
        static const unsigned sizes[] = {0, 1, 5, 30};
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof(path), "%s/sample-%u.htrace", argv[2], sizes[i]);
            if (write_sample(path, sizes[i], i != 2))
                return 1;
        }
        return 0;
    }
    fprintf(stderr, "usage: mklog sample FILE [N] | tree DIR | corpus DIR | leaks FILE | gc FILE\n");
    return 2;
}
