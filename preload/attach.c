/* SPDX-License-Identifier: MIT */
/*
 * attach.c - tracing a program that is already running (heaptrace attach).
 *
 * heaptrace-attach (attach/) stops one thread of the program with ptrace and
 * makes it call dlopen on this library, then heaptrace__attach(config, out).
 * Loaded that way the library is not first in the search order, so:
 *
 *   - our constructor stays inert (ht_loaded_late), and tracing starts only
 *     in heaptrace__attach, with the settings the injector passes as
 *     "HEAPTRACE_X=value" lines (the program's environment is not ours to
 *     change);
 *   - the real functions are the ones the program binds (RTLD_DEFAULT: libc,
 *     or jemalloc for redis), not the next object after us;
 *   - every loaded object's slots for the wrapped functions are pointed at
 *     our wrappers (gotpatch.c), and libraries loaded later are patched
 *     when they appear;
 *   - blocks allocated before the attach are not in the log: their frees are
 *     dropped by the writer, a realloc of one is a new block, and an ATTACH
 *     record says how much the allocator held at that moment.
 *
 * The recording ends when heaptrace__detach is called (the injector does,
 * after --for or on Ctrl-C), when the injector is gone, when --for has
 * passed, or when the program exits. Ending undoes the patches, writes the
 * log's END (reason DETACH) and leaves the library loaded and inert: the
 * program runs on exactly as before.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "attachabi.h"
#include "ht.h"

bool ht_attach_mode;
char **ht_config_env; /* the injector's settings; NULL: environ */

static _Atomic int stop_state; /* 0 recording, 1 ending, 2 ended */
static uint64_t deadline_ns;   /* 0: none */
static pid_t watched;          /* the injector: its end ends the recording */

HT_EXPORT long heaptrace__attach(const char *cfg, struct ht_attach_result *out);
HT_EXPORT long heaptrace__detach(void);

bool ht_loaded_late(void)
{
    if (atomic_load(&ht_init_state) != 0)
        return false; /* an interposed call came first: we are preloaded */
    Dl_info mine, bound;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    return dladdr((void *)(uintptr_t)&ht_loaded_late, &mine) && m && dladdr(m, &bound) &&
           mine.dli_fbase != bound.dli_fbase;
}

/* "A=1\nB=2\n" into an environ-shaped array, in memory of our own. */
static bool settings_read(const char *cfg)
{
    size_t len = strnlen(cfg, 64 * 1024), lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += cfg[i] == '\n';
    char *copy = ht_mem_alloc(len + 1);
    char **env = ht_mem_alloc((lines + 1) * sizeof *env);
    if (!copy || !env)
        return false;
    memcpy(copy, cfg, len);
    size_t n = 0;
    for (char *s = copy; *s;) {
        char *e = strchr(s, '\n');
        if (e)
            *e = '\0';
        if (*s)
            env[n++] = s;
        s = e ? e + 1 : s + strlen(s);
    }
    ht_config_env = env;
    return true;
}

static uint64_t setting_u64(const char *name)
{
    const char *s = ht_getenv(name);
    uint64_t v = 0;
    for (; s && *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

/* The allocator's own count of bytes in use, before we see anything. */
static uint64_t heap_in_use(uint64_t *allocator)
{
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    Dl_info a, b;
    if (mallctl && dladdr((void *)(uintptr_t)mallctl, &a) &&
        dladdr((void *)(uintptr_t)ht_real.malloc, &b) && a.dli_fbase == b.dli_fbase) {
        uint64_t epoch = 1;
        size_t allocated = 0, sz = sizeof allocated;
        mallctl("epoch", NULL, NULL, &epoch, sizeof epoch); /* refresh the statistics */
        if (mallctl("stats.allocated", &allocated, &sz, NULL, 0) == 0) {
            *allocator = HT_ATTACH_JEMALLOC;
            return allocated;
        }
    }
    void *libc_malloc = dlsym(RTLD_DEFAULT, "__libc_malloc");
    if (libc_malloc && libc_malloc == (void *)(uintptr_t)ht_real.malloc) {
        struct mallinfo2 mi = mallinfo2();
        *allocator = HT_ATTACH_GLIBC;
        return mi.uordblks + mi.hblkhd;
    }
    *allocator = HT_ATTACH_UNKNOWN;
    return 0;
}

/* ---- the memory the program had before ------------------------------- */

struct image {
    uint64_t base, lo, hi;
};

static int find_image(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct image *im = arg;
    if (info->dlpi_addr != im->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t a = info->dlpi_addr + ph->p_vaddr, e = a + ph->p_memsz;
        if (ph->p_type != PT_LOAD)
            continue;
        im->lo = a < im->lo ? a : im->lo;
        im->hi = e > im->hi ? e : im->hi;
    }
    return 1;
}

/* One line of /proc/self/maps: the program's heap or an anonymous read-write
 * mapping, not ours (our image, the injector's page holding `skip`). */
static void maps_line(const char *l, const struct image *self, uint64_t skip)
{
    uint64_t lo = 0, hi = 0, inode = 0;
    const char *p = l;
    for (; *p && *p != '-'; p++)
        lo = lo * 16 + (uint64_t)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
    for (p++; *p && *p != ' '; p++)
        hi = hi * 16 + (uint64_t)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
    if (strncmp(p, " rw-p ", 6) != 0)
        return;
    p += 6;
    for (int field = 0; field < 2; field++) { /* offset, device */
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    for (; *p >= '0' && *p <= '9'; p++)
        inode = inode * 10 + (uint64_t)(*p - '0');
    while (*p == ' ')
        p++;
    bool anonymous = inode == 0 && (!*p || strcmp(p, "[heap]") == 0);
    if (!anonymous || (lo < self->hi && hi > self->lo) || (skip >= lo && skip < hi))
        return;
    ht_mapreg_preattach(lo, hi - lo);
}

/* Before anything of ours is mapped: the heap and mappings the blocks
 * allocated before the attach live in (raw reads, nothing allocated). */
static void note_preattach_memory(uint64_t skip)
{
    Dl_info di;
    struct image self = {0, UINT64_MAX, 0};
    if (dladdr((void *)(uintptr_t)&note_preattach_memory, &di))
        self.base = (uint64_t)(uintptr_t)di.dli_fbase;
    dl_iterate_phdr(find_image, &self);
    int fd = (int)ht_raw_syscall(SYS_open, (long)"/proc/self/maps", O_RDONLY | O_CLOEXEC, 0, 0,
                                 0, 0);
    if (fd < 0)
        return;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        long got = ht_raw_syscall(SYS_read, fd, (long)(buf + have), (long)(sizeof buf - 1 - have),
                                  0, 0, 0);
        if (got <= 0)
            break;
        have += (size_t)got;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            maps_line(line, &self, skip);
            line = nl + 1;
        }
        have = strlen(line); /* a partial line: keep it for the next read */
        memmove(buf, line, have);
        if (have == sizeof buf - 1)
            have = 0; /* a line longer than the buffer: not a mapping we want */
    }
    ht_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stop_recording(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&stop_state, &expected, 1)) {
        while (atomic_load(&stop_state) != 2) { /* the other caller is finishing the log */
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        return;
    }
    ht_gotpatch_undo(); /* calls made from now on go straight to the allocator */
    ht_writer_finish(HT_END_DETACH);
    atomic_store(&stop_state, 2);
}

/* Patches libraries loaded later, and ends the recording when it is time. */
static void *attach_timer(void *arg)
{
    (void)arg;
    ht_guard = 1; /* for life: nothing this thread does is traced */
    while (atomic_load(&stop_state) == 0) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (!atomic_load(&ht_active))
            break; /* the program exits, or the log failed */
        ht_gotpatch_new();
        /* the injector may be another user's (root's): only ESRCH means gone */
        bool injector_gone = watched && kill(watched, 0) != 0 && errno == ESRCH;
        if ((deadline_ns && now_ns() >= deadline_ns) || injector_gone) {
            stop_recording();
            break;
        }
    }
    return NULL;
}

static bool start_timer(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* no program signal lands there */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &attr, attach_timer, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0;
}

/* Called by the injector in a stopped thread of the program (never by the
 * program). Returns out->status. */
HT_EXPORT long heaptrace__attach(const char *cfg, struct ht_attach_result *out)
{
    memset(out, 0, sizeof *out);
    if (atomic_load(&ht_init_state) != 0 || ht_attach_mode)
        return out->status = HT_ATTACH_EBUSY;
    ht_attach_mode = true;
    note_preattach_memory((uint64_t)(uintptr_t)cfg);
    if (!settings_read(cfg))
        return out->status = HT_ATTACH_EINIT;
    ht_init();
    if (atomic_load(&ht_init_state) != 2)
        return out->status = HT_ATTACH_EINIT;
    ht_guard++;
    out->heap_bytes = heap_in_use(&out->allocator);
    ht_guard--;
    if (!ht_gotpatch_init()) {
        ht_writer_finish(HT_END_ERROR);
        return out->status = HT_ATTACH_EPATCH;
    }
    uint64_t for_ms = setting_u64("HEAPTRACE_ATTACH_FOR_MS");
    deadline_ns = for_ms ? now_ns() + for_ms * 1000000u : 0;
    watched = (pid_t)setting_u64("HEAPTRACE_ATTACH_WATCH");
    if (ht_enter()) {
        ht_rec_simple(HT_REC_ATTACH, 2, out->heap_bytes, out->allocator);
        ht_leave();
    }
    ht_gotpatch_new();
    out->slots = ht_gotpatch_count();
    ht_writer_start();
    start_timer();
    ht_strlcpy(out->log, ht_writer_log_path(), sizeof out->log);
    return 0;
}

/* Ends the recording now and returns once the log is whole on disk. */
HT_EXPORT long heaptrace__detach(void)
{
    if (!ht_attach_mode)
        return -1;
    stop_recording();
    return 0;
}
