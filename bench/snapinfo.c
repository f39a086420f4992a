/* SPDX-License-Identifier: MIT */
/*
 * snapinfo.c - one line per heap snapshot of a log, for
 * bench/snapshot_bench.sh:
 *     snapshot seq=N reason=R blocks=N live_bytes=N edges=N roots=N pause_ns=N scan_ns=N
 *              scan_cpu_ns=N index_cpu_ns=N
 * live_bytes: the bytes of the blocks live at SNAPSHOT_BEGIN (replayed from
 * ALLOC, REALLOC and FREE sizes; block ids are creation order).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "names.h"
#include "reader.h"

int main(int argc, char **argv)
{
    struct ht_reader *r = NULL;
    if (argc != 2 || ht_reader_open(&r, argv[1]) != 0) {
        fprintf(stderr, "usage: snapinfo LOG%s%s\n", r ? ": " : "", r ? ht_reader_error(r) : "");
        return 2;
    }
    uint64_t *size = NULL, nblocks = 0, cap = 0, live = 0;
    uint64_t seq = 0, reason = 0, blocks = 0, at_begin = 0;
    struct ht_event ev;
    int rc;
    while ((rc = ht_reader_next(r, &ev)) == 1) {
        bool alloc = ev.tag >= HT_REC_ALLOC_BASE && ev.tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_;
        if (ev.tag == HT_REC_FREE || (ev.tag == HT_REC_REALLOC && ev.old_addr)) {
            uint64_t id = ev.tag == HT_REC_FREE ? ev.addr : ev.old_addr;
            live -= size[id - 1];
            size[id - 1] = 0;
        }
        if (alloc || (ev.tag == HT_REC_REALLOC && ev.addr)) {
            if (nblocks == cap) {
                cap = cap ? cap * 2 : 1 << 16;
                size = realloc(size, cap * sizeof *size);
                if (!size)
                    return 2;
            }
            size[nblocks++] = ev.size;
            live += ev.size;
        } else if (ev.tag == HT_REC_SNAPSHOT_BEGIN) {
            seq = ev.value, reason = ev.kind, blocks = ev.size, at_begin = live;
        } else if (ev.tag == HT_REC_SNAPSHOT_END) {
            printf("snapshot seq=%" PRIu64 " reason=%s blocks=%" PRIu64 " live_bytes=%" PRIu64
                   " edges=%" PRIu64 " roots=%" PRIu64 " pause_ns=%" PRIu64 " scan_ns=%" PRIu64
                   " scan_cpu_ns=%" PRIu64 " index_cpu_ns=%" PRIu64 "\n",
                   seq, names_snapshot_reason(reason), blocks, at_begin, ev.size, ev.old_size,
                   ht_snap_end_pause_ns(&ev), ht_snap_end_scan_ns(&ev), ht_snap_end_scan_cpu_ns(&ev),
                   ht_snap_end_index_cpu_ns(&ev));
        }
    }
    free(size);
    if (rc < 0)
        fprintf(stderr, "snapinfo: %s\n", ht_reader_error(r));
    ht_reader_close(r);
    return rc < 0 ? 2 : 0;
}
