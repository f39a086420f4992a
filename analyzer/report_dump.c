/* SPDX-License-Identifier: MIT */
/* report_dump.c - see report_dump.h. */
#include "report_dump.h"

#include <inttypes.h>
#include <string.h>

#include "names.h"

void dump_escaped(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
}

static void dump_str(FILE *out, const char *key, const char *s, size_t n)
{
    fprintf(out, " %s=\"", key);
    dump_escaped(out, s, n);
    fputc('"', out);
}

static void dump_header(const struct ht_header *h, FILE *out)
{
    fprintf(out, "version=%" PRIu32 "\n", h->version);
    fprintf(out, "0 @%d HEADER pid=%" PRIu64 " ppid=%" PRIu64 " start_unix_ns=%" PRIu64
                 " pointer_size=%" PRIu64 " page_size=%" PRIu64 " depth=%" PRIu64
                 " flags=0x%" PRIx64,
            HT_MAGIC_LEN + 1, h->pid, h->ppid, h->start_unix_ns, h->pointer_size, h->page_size,
            h->depth, h->flags);
    dump_str(out, "exe", h->exe, strlen(h->exe));
    fprintf(out, " argc=%" PRIu32, h->argc);
    for (uint32_t i = 0; i < h->argc; i++)
        dump_str(out, "argv", h->argv[i], strlen(h->argv[i]));
    dump_str(out, "log_path", h->log_path, strlen(h->log_path));
    dump_str(out, "parent_log", h->parent_log, strlen(h->parent_log));
    fputc('\n', out);
}

static void dump_modules(struct ht_reader *r, FILE *out)
{
    size_t n;
    const struct ht_module *m = ht_reader_modules(r, &n);
    fprintf(out, " count=%zu", n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "\n    module");
        dump_str(out, "path", m[i].path, strlen(m[i].path));
        fprintf(out, " base=0x%" PRIx64 " build_id=", m[i].base);
        for (size_t j = 0; j < m[i].build_id_len; j++)
            fprintf(out, "%02x", m[i].build_id[j]);
        for (uint32_t j = 0; j < m[i].nseg; j++)
            fprintf(out, " seg=0x%" PRIx64 "+0x%" PRIx64 ":%" PRIu64, m[i].segs[j].vaddr,
                    m[i].segs[j].memsz, m[i].segs[j].flags);
    }
}

/* Snapshot records: one entry per line, indented like MODULES. */
static void dump_snapshot(const struct ht_event *ev, FILE *out)
{
    switch (ev->tag) {
    case HT_REC_SNAPSHOT_BEGIN:
        fprintf(out, " seq=%" PRIu64 " reason=%s blocks=%" PRIu64, ev->value,
                names_snapshot_reason(ev->kind), ev->size);
        break;
    case HT_REC_SNAPSHOT_EDGES:
        fprintf(out, " edges=%zu", ev->nedges);
        for (size_t i = 0; i < ev->nedges; i++)
            fprintf(out, "\n    edge from=%" PRIu64 " to=%" PRIu64 "%s", ev->edges[i].from,
                    ev->edges[i].to, ev->edges[i].interior ? " interior" : "");
        break;
    case HT_REC_SNAPSHOT_ROOTS:
        fprintf(out, " roots=%zu", ev->nroots);
        for (size_t i = 0; i < ev->nroots; i++) {
            const struct ht_snap_root *o = &ev->roots[i];
            fprintf(out, "\n    root kind=%s where=%" PRIu64 " offset=0x%" PRIx64 " to=%" PRIu64
                         "%s",
                    names_root_kind(o->kind), o->where, o->offset, o->to,
                    o->interior ? " interior" : "");
        }
        break;
    case HT_REC_SNAPSHOT_END:
        fprintf(out,
                " pause_ns=%" PRIu64 " edges=%" PRIu64 " roots=%" PRIu64 " scan_ns=%" PRIu64
                " scan_cpu_ns=%" PRIu64 " index_cpu_ns=%" PRIu64,
                ht_snap_end_pause_ns(ev), ev->size, ev->old_size, ht_snap_end_scan_ns(ev),
                ht_snap_end_scan_cpu_ns(ev), ht_snap_end_index_cpu_ns(ev));
        break;
    default: break;
    }
}

static void dump_fields(struct ht_reader *r, const struct ht_event *ev, FILE *out)
{
    if (ev->tag >= HT_REC_ALLOC_BASE && ev->tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        fprintf(out, " fn=%s block=%" PRIu64 " size=%" PRIu64 " stack=%" PRIu64,
                names_alloc_fn(ev->fn), ev->addr, ev->size, ev->stack);
        return;
    }
    switch (ev->tag) {
    case HT_REC_MODULES: dump_modules(r, out); break;
    case HT_REC_STACK:
        fprintf(out, " id=%" PRIu64 " depth=%" PRIu32, ev->stack, ev->depth);
        for (uint32_t i = 0; i < ev->depth; i++)
            fprintf(out, " 0x%" PRIx64, ev->ips[i]);
        break;
    case HT_REC_SWITCH: fprintf(out, " thread=%" PRIu32, ev->thread); break;
    case HT_REC_THREAD_START:
        fprintf(out, " thread=%" PRIu64 " tid=%" PRIu64 " stack_lo=0x%" PRIx64
                     " stack_hi=0x%" PRIx64,
                ev->value, ev->tid, ev->stack_lo, ev->stack_hi);
        dump_str(out, "name", ev->str, ev->str_len);
        break;
    case HT_REC_THREAD_NAME:
        fprintf(out, " thread=%" PRIu64, ev->value);
        dump_str(out, "name", ev->str, ev->str_len);
        break;
    case HT_REC_THREAD_EXIT:
    case HT_REC_THREAD_RELEASE: fprintf(out, " thread=%" PRIu64, ev->value); break;
    case HT_REC_FREE: fprintf(out, " block=%" PRIu64, ev->addr); break;
    case HT_REC_IGNORE: fprintf(out, " block=%" PRIu64, ev->addr); break;
    case HT_REC_REALLOC:
        fprintf(out, " old=%" PRIu64 " new=%" PRIu64 " size=%" PRIu64 " stack=%" PRIu64,
                ev->old_addr, ev->addr, ev->size, ev->stack);
        break;
    case HT_REC_MMAP:
        fprintf(out, " addr=0x%" PRIx64 " len=%" PRIu64 " prot=%" PRIu64 " flags=0x%" PRIx64
                     " stack=%" PRIu64,
                ev->addr, ev->size, ev->prot, ev->flags, ev->stack);
        break;
    case HT_REC_MUNMAP: fprintf(out, " addr=0x%" PRIx64 " len=%" PRIu64, ev->addr, ev->size); break;
    case HT_REC_MREMAP:
        fprintf(out, " old=0x%" PRIx64 " old_len=%" PRIu64 " new=0x%" PRIx64 " new_len=%" PRIu64
                     " stack=%" PRIu64,
                ev->old_addr, ev->old_size, ev->addr, ev->size, ev->stack);
        break;
    case HT_REC_OWNER_BEGIN:
        fprintf(out, " kind=%s stack=%" PRIu64, names_owner_kind(ev->kind), ev->stack);
        break;
    case HT_REC_OWNER_END: fprintf(out, " handle=0x%" PRIx64, ev->handle); break;
    case HT_REC_OWNER_CLOSE:
        fprintf(out, " kind=%s handle=0x%" PRIx64, names_owner_kind(ev->kind), ev->handle);
        break;
    case HT_REC_MARK: dump_str(out, "label", ev->str, ev->str_len); break;
    case HT_REC_EXEC: dump_str(out, "path", ev->str, ev->str_len); break;
    case HT_REC_RSS: fprintf(out, " rss_bytes=%" PRIu64, ev->value); break;
    case HT_REC_LOST: fprintf(out, " events=%" PRIu64, ev->value); break;
    case HT_REC_FORK: fprintf(out, " child_pid=%" PRIu64, ev->value); break;
    case HT_REC_NOTE: fprintf(out, " code=%" PRIu64, ev->value); break;
    case HT_REC_SAMPLING: fprintf(out, " every=%" PRIu64, ev->value); break;
    case HT_REC_ATTACH:
        fprintf(out, " heap_bytes=%" PRIu64 " allocator=%" PRIu64, ev->value, ev->kind);
        break;
    case HT_REC_END: fprintf(out, " reason=%s", names_end_reason(ev->value)); break;
    case HT_REC_SNAPSHOT_BEGIN:
    case HT_REC_SNAPSHOT_EDGES:
    case HT_REC_SNAPSHOT_ROOTS:
    case HT_REC_SNAPSHOT_END: dump_snapshot(ev, out); break;
    case HT_REC_SNAPSHOT_FRAMES:
        fprintf(out, " thread=%" PRIu64 " frames=%zu", ev->value, ev->nframes);
        for (size_t i = 0; i < ev->nframes; i++)
            fprintf(out, "\n    frame below=%" PRIu64 " ip=0x%" PRIx64, ev->frames[i].below,
                    ev->frames[i].ip);
        break;
    case HT_REC_GC_ALLOC:
        fprintf(out, " fn=%" PRIu64 " count=%" PRIu64 " bytes=%" PRIu64 " stack=%" PRIu64,
                ev->kind, ev->value, ev->size, ev->stack);
        break;
    case HT_REC_GC_FREE: fprintf(out, " bytes=%" PRIu64, ev->size); break;
    case HT_REC_GC_COLLECTION:
        fprintf(out, " gc_no=%" PRIu64 " heap_bytes=%" PRIu64 " free_bytes=%" PRIu64
                     " unmapped_bytes=%" PRIu64 " duration_ns=%" PRIu64 " rss_bytes=%" PRIu64,
                ev->value, ev->size, ev->old_size, ev->addr, ev->old_addr, ev->handle);
        break;
    case HT_REC_GC_LINK:
        fprintf(out, " op=%" PRIu64 " count=%" PRIu64 " stack=%" PRIu64, ev->kind, ev->value,
                ev->stack);
        break;
    case HT_REC_GC_FINALIZER: fprintf(out, " op=%" PRIu64 " stack=%" PRIu64, ev->kind, ev->stack); break;
    case HT_REC_GC_FINALIZE_BEGIN:
        fprintf(out, " bytes=%" PRIu64 " stack=%" PRIu64, ev->size, ev->stack);
        break;
    default: break;
    }
}

int dump_write(struct ht_reader *r, FILE *out)
{
    struct ht_event ev;
    int rc;
    dump_header(ht_reader_header(r), out);
    while ((rc = ht_reader_next(r, &ev)) == 1) {
        fprintf(out, "%" PRIu64 " @%" PRIu64 " t=%" PRIu64 " th=%" PRIu32 " %s", ev.record_no,
                ev.offset, ev.time_us, ev.thread, names_tag(ev.tag));
        dump_fields(r, &ev, out);
        fputc('\n', out);
    }
    if (rc == 0 && ht_reader_truncated(r))
        fprintf(out, "TRUNCATED %s\n", ht_reader_truncation(r));
    if (rc == 0 && ht_reader_warning(r)[0])
        fprintf(stderr, "heaptrace-report: warning: %s\n", ht_reader_warning(r));
    return rc;
}
