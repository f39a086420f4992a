/* SPDX-License-Identifier: MIT */
/*
 * logopen.c - naming and opening a log: HEAPTRACE_OUT's pattern expanded,
 * the file created by the sink (sink.c), and the log's first frame (magic,
 * version, HEADER) written and synced before tracing starts.
 *
 * Called at start and in a fork child (ht_writer_open), with no other
 * thread of ours running; its buffers are static, not on any stack (the
 * header's are large) and not from the host's malloc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

static struct logfile {
    char path[HT_PATH_MAX];       /* the log's name, as the sink created it */
    char want[HT_PATH_MAX];       /* the name asked for (the pattern expanded) */
    char parent_log[HT_PATH_MAX]; /* the log of the process we came from */
    uint8_t hdr[16384];           /* the HEADER payload being encoded */
    char cmdline[8192];           /* /proc/self/cmdline */
} L;


/* The log's name from the pattern; false when it would not fit in cap. */
static bool expand_pattern(char *out, size_t cap, const char *pat, const char *prog)
{
    size_t n = 0;
    char num[24];
    const char *s = pat;
    for (; *s && n + 1 < cap; s++) {
        const char *ins = NULL;
        if (s[0] == '%' && s[1] == 'p') {
            ht_fmt_u64(num, (uint64_t)getpid());
            ins = num;
        } else if (s[0] == '%' && s[1] == 'e') {
            ins = prog;
        } else if (s[0] == '%' && s[1] == '%') {
            ins = "%";
        }
        if (ins) {
            s++;
            for (; *ins && n + 1 < cap; ins++)
                out[n++] = *ins;
            if (*ins)
                return false;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return *s == '\0';
}

static void program_name(char *out, size_t cap)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = exe;
    for (const char *s = exe; *s; s++)
        if (*s == '/')
            base = s + 1;
    ht_strlcpy(out, *base ? base : "program", cap);
}

/* Encodes HEADER after the magic and version (ht_enc_begin). */
static void put_header(const char *parent_log)
{
    uint8_t *hdr = L.hdr;
    char *cmdline = L.cmdline;
    char exe[1024];
    ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[en > 0 ? en : 0] = '\0';
    ssize_t cl = 0;
    struct ht_proc f;
    if (ht_proc_open(&f, "cmdline")) {
        long r;
        while (cl < (ssize_t)sizeof L.cmdline &&
               (r = ht_proc_read(&f, cmdline + cl, sizeof L.cmdline - (size_t)cl)) > 0)
            cl += r;
        ht_proc_close(&f);
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint8_t *q = hdr;
    q = ht_put_uvarint(q, (uint64_t)getpid());
    q = ht_put_uvarint(q, (uint64_t)getppid());
    q = ht_put_uvarint(q, (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec);
    q = ht_put_uvarint(q, sizeof(void *));
    q = ht_put_uvarint(q, (uint64_t)sysconf(_SC_PAGESIZE));
    q = ht_put_uvarint(q, ht_config.depth);
    q = ht_put_uvarint(q, (ht_config.follow_exec ? HT_FLAG_FOLLOW_EXEC : 0) |
                              (ht_config.follow_fork ? HT_FLAG_FOLLOW_FORK : 0));
    size_t el = strlen(exe);
    q = ht_put_uvarint(q, el);
    memcpy(q, exe, el);
    q += el;
    /* argv strings as the kernel shows them; the last may lack its NUL when
     * the program rewrote its argv (setproctitle) or it was cut at the buffer. */
    uint64_t argc = 0;
    for (ssize_t i = 0; i < cl; i += (ssize_t)strnlen(cmdline + i, (size_t)(cl - i)) + 1)
        argc++;
    q = ht_put_uvarint(q, argc);
    for (ssize_t i = 0; i < cl;) {
        size_t al = strnlen(cmdline + i, (size_t)(cl - i));
        q = ht_put_uvarint(q, al);
        memcpy(q, cmdline + i, al);
        q += al;
        i += (ssize_t)al + 1;
    }
    size_t pl = strlen(L.path), ql = strlen(parent_log);
    q = ht_put_uvarint(q, pl);
    memcpy(q, L.path, pl);
    q += pl;
    q = ht_put_uvarint(q, ql);
    memcpy(q, parent_log, ql);
    q += ql;
    ht_enc_record(HT_REC_HEADER, hdr, (size_t)(q - hdr));
    if (ht_sample_every) { /* dt 0: at the start */
        uint8_t b[1 + HT_VARINT_MAX];
        b[0] = 0;
        ht_enc_record(HT_REC_SAMPLING, b, (size_t)(ht_put_uvarint(b + 1, ht_sample_every) - b));
    }
}

/* Opens this process's log and writes its first frame; false (with a
 * message, when there is one to give) when it cannot. The encoder is reset. */
bool ht_logopen(bool is_fork_child)
{
    char prog[256];
    int err = 0;
    if (is_fork_child)
        ht_strlcpy(L.parent_log, L.path, sizeof L.parent_log);
    else
        ht_strlcpy(L.parent_log, ht_config.parent_log, sizeof L.parent_log);

    if (!ht_config.out_pattern[0])
        return false; /* refused at start, with a message */
    program_name(prog, sizeof prog);
    if (!expand_pattern(L.want, sizeof L.want, ht_config.out_pattern, prog)) {
        ht_diag("heaptrace: the log's name (HEAPTRACE_OUT) is longer than PATH_MAX; "
                "tracing stopped", "", "");
        return false;
    }
    if (!ht_sink_start(L.want, L.path, sizeof L.path)) {
        char why[256];
        size_t n = ht_strlcpy(why, "': ", sizeof why);
        n += ht_strlcpy(why + n, ht_errname(errno), sizeof why - n);
        ht_strlcpy(why + n, "; tracing stopped", sizeof why - n);
        ht_diag("heaptrace: cannot create '", L.path, why);
        return false;
    }
    ht_enc_begin();
    put_header(L.parent_log);
    ht_enc_end_frame(); /* the header on disk now: a process killed at once leaves a log */
    /* Wait until the sink has written it: a log that cannot be written
     * (/dev/full, a full disk) is refused here, every time, before tracing
     * starts. Without this the sink's failure could land while the caller
     * was about to set ht_active: tracing went on with no writer, and every
     * event of the program waited for a ring that nobody drained. */
    if (!ht_enc_failed() && !ht_sink_sync(&err))
        ht_enc_fail(ht_errname(err), err);
    if (ht_enc_failed()) {
        ht_sink_close();
        return false;
    }
    return true;
}

const char *ht_writer_log_path(void)
{
    return L.path;
}
