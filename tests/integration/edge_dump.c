/* SPDX-License-Identifier: MIT */
/*
 * edge_dump.c - prints every snapshot edge of a log by block size, for
 * edge_offsets.sh:
 *     REASON edge FROM_SIZE TO_SIZE OFFSET start|interior
 *     REASON end scan_ns=N scan_cpu_ns=N index_cpu_ns=N
 * Block sizes come from replaying ALLOC and REALLOC (ids are creation order).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "names.h"
#include "reader.h"

int main(int argc, char **argv)
{
    struct ht_reader *r;
    if (argc != 2 || ht_reader_open(&r, argv[1]) != 0) {
        fprintf(stderr, "usage: edge_dump LOG (%s)\n", argc == 2 ? ht_reader_error(r) : "");
        return 2;
    }
    uint64_t *size = NULL, nblocks = 0, cap = 0;
    const char *reason = "?";
    struct ht_event ev;
    int rc;
    while ((rc = ht_reader_next(r, &ev)) == 1) {
        bool alloc = ev.tag >= HT_REC_ALLOC_BASE && ev.tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_;
        if (alloc || (ev.tag == HT_REC_REALLOC && ev.addr)) {
            if (nblocks == cap) {
                cap = cap ? cap * 2 : 1024;
                size = realloc(size, cap * sizeof *size);
                if (!size)
                    return 2;
            }
            size[nblocks++] = ev.size;
        } else if (ev.tag == HT_REC_SNAPSHOT_BEGIN) {
            reason = names_snapshot_reason(ev.kind);
        } else if (ev.tag == HT_REC_SNAPSHOT_EDGES) {
            for (size_t i = 0; i < ev.nedges; i++)
                printf("%s edge %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", reason,
                       size[ev.edges[i].from - 1], size[ev.edges[i].to - 1], ev.edges[i].offset,
                       ev.edges[i].interior ? "interior" : "start");
        } else if (ev.tag == HT_REC_SNAPSHOT_END) {
            printf("%s end scan_ns=%" PRIu64 " scan_cpu_ns=%" PRIu64 " index_cpu_ns=%" PRIu64 "\n",
                   reason, ht_snap_end_scan_ns(&ev), ht_snap_end_scan_cpu_ns(&ev),
                   ht_snap_end_index_cpu_ns(&ev));
        }
    }
    free(size);
    int failed = rc < 0;
    if (failed)
        fprintf(stderr, "edge_dump: %s\n", ht_reader_error(r));
    ht_reader_close(r);
    return failed ? 2 : 0;
}
