/* SPDX-License-Identifier: MIT */
/*
 * heaptrace-attach - trace a program that is already running.
 *
 *   heaptrace-attach [-o LOG] [--for DURATION] [--sample SIZE] [--depth N] [--lib PATH] PID
 *
 * Stops one thread of PID with ptrace at a safe point (remote.c), makes it
 * dlopen libheaptrace.so and call heaptrace__attach with our settings
 * (common/attachabi.h), and lets it go. The library then routes the
 * program's allocation calls through itself and writes the log (from its own
 * process, as when preloaded). We wait for --for, Ctrl-C or the program's
 * end; then heaptrace__detach, called the same way, undoes the routing and
 * finishes the log before it returns. The program runs on unchanged. If we
 * die without detaching, the library notices (HEAPTRACE_ATTACH_WATCH) and
 * ends the recording itself.
 *
 * Exit status: 0 the log is written; 1 attaching failed (the message says
 * why: no such process, ptrace_scope, another user's process, ...); 2 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "attachabi.h"
#include "format.h"
#include "remote.h"
#include "target.h"

#define SCRATCH_SIZE (64 * 1024)
#define SAFE_POINT_MS 3000

extern char **environ;
static const char *me = "heaptrace attach";
static volatile sig_atomic_t interrupted;

struct options {
    pid_t pid;
    const char *out, *lib, *sample, *depth;
    unsigned long for_ms;
    bool quiet;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heaptrace attach [-o LOG] [--for DURATION] [--sample SIZE] [--depth N] PID\n"
            "  records the allocations of the running process PID until DURATION has passed\n"
            "  (60s, 5m, 500ms; a bare number is seconds), Ctrl-C, or its end; then detaches,\n"
            "  leaving it running. Blocks allocated before the attach are not in the log.\n"
            "  -o LOG        log path (%%p pid, %%e program name); default heaptrace.%%e.%%p.htrace\n"
            "  --for D       stop recording after D\n"
            "  --sample S    sample allocations by bytes (HEAPTRACE_SAMPLE)\n"
            "  --depth N     stack frames per event (HEAPTRACE_DEPTH)\n"
            "  --lib PATH    the libheaptrace.so to load (default: beside this program)\n"
            "  --quiet       no progress lines, only errors\n");
}

static bool parse_duration(const char *s, unsigned long *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return false;
    double scale = strcmp(end, "ms") == 0   ? 1
                   : !*end || !strcmp(end, "s") ? 1000
                   : !strcmp(end, "m")          ? 60000
                   : !strcmp(end, "h")          ? 3600000
                                                : -1;
    if (scale < 0)
        return false;
    *ms = (unsigned long)(v * scale + 0.5);
    return *ms > 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->out = "heaptrace.%e.%p.htrace";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = true;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && v) {
            o->out = argv[++i];
        } else if (!strcmp(a, "--for") && v) {
            if (!parse_duration(argv[++i], &o->for_ms)) {
                fprintf(stderr, "%s: error: --for '%s' is not a duration (60s, 5m, 500ms)\n", me,
                        v);
                return 2;
            }
        } else if (!strcmp(a, "--sample") && v) {
            o->sample = argv[++i];
        } else if (!strcmp(a, "--depth") && v) {
            o->depth = argv[++i];
        } else if (!strcmp(a, "--lib") && v) {
            o->lib = argv[++i];
        } else if (a[0] != '-' && !o->pid) {
            char *end;
            long pid = strtol(a, &end, 10);
            if (*end || pid <= 0 || pid > INT_MAX) {
                fprintf(stderr, "%s: error: '%s' is not a process id\n", me, a);
                return 2;
            }
            o->pid = (pid_t)pid;
        } else {
            fprintf(stderr, "%s: error: unexpected '%s'\n", me, a);
            usage(stderr);
            return 2;
        }
    }
    if (!o->pid) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* libheaptrace.so beside us (the build tree) or in ../lib* (an install). */
static bool find_library(const struct options *o, char *path, size_t cap)
{
    if (o->lib)
        return realpath(o->lib, path) != NULL;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    static const char *const rel[] = {"/libheaptrace.so", "/../lib/libheaptrace.so",
                                      "/../lib64/libheaptrace.so",
                                      "/../lib/x86_64-linux-gnu/libheaptrace.so"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX + 64];
        snprintf(cand, sizeof cand, "%s%s", self, rel[i]);
        if (access(cand, R_OK) == 0 && realpath(cand, path))
            return strlen(path) < cap;
    }
    return false;
}

/* "HEAPTRACE_X=v\n" lines: ours, then the user's HEAPTRACE_* environment. */
static char *settings(const struct options *o, const char *out_abs)
{
    size_t cap = 8192, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s + len, cap - len, "HEAPTRACE_OUT=%s\nHEAPTRACE_ATTACH_WATCH=%d\n",
                            out_abs, (int)getpid());
    if (o->for_ms) /* a backstop: we detach at for_ms ourselves */
        len += (size_t)snprintf(s + len, cap - len, "HEAPTRACE_ATTACH_FOR_MS=%lu\n",
                                o->for_ms + 2000);
    if (o->sample)
        len += (size_t)snprintf(s + len, cap - len, "HEAPTRACE_SAMPLE=%s\n", o->sample);
    if (o->depth)
        len += (size_t)snprintf(s + len, cap - len, "HEAPTRACE_DEPTH=%s\n", o->depth);
    for (char **e = environ; *e && len < cap; e++) {
        if (strncmp(*e, "HEAPTRACE_", 10) != 0 || !strncmp(*e, "HEAPTRACE_OUT=", 14) ||
            !strncmp(*e, "HEAPTRACE_ATTACH_", 17) || strchr(*e, '\n'))
            continue;
        if ((o->sample && !strncmp(*e, "HEAPTRACE_SAMPLE=", 17)) ||
            (o->depth && !strncmp(*e, "HEAPTRACE_DEPTH=", 16)))
            continue;
        len += (size_t)snprintf(s + len, cap - len, "%s\n", *e);
    }
    return len < cap ? s : (free(s), NULL);
}

static void human_bytes(uint64_t b, char *buf, size_t cap)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* Stops a thread of the process safely: the first thread, else any other. */
/* A thread that has ended but not been reaped (a first thread that called
 * pthread_exit) can be seized but never stops. */
static bool thread_ended(pid_t pid, pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static bool stop_some_thread(struct remote *r, const struct target *t, char *err, size_t cap)
{
    bool leader_ended = thread_ended(t->pid, t->pid);
    int rc = remote_seize(r, t->pid);
    if (rc && !leader_ended) {
        target_explain_refusal(t->pid, rc, err, cap);
        return false;
    }
    if (!rc && !leader_ended && remote_stop_safely(r, t, SAFE_POINT_MS, err, cap))
        return true;
    remote_release(r);
    snprintf(err, cap, "no thread of it could be stopped");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)t->pid);
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        pid_t tid = (pid_t)atoi(de->d_name);
        if (tid <= 0 || tid == t->pid || thread_ended(t->pid, tid) || remote_seize(r, tid) != 0)
            continue;
        if (remote_stop_safely(r, t, SAFE_POINT_MS / 3, err, cap)) {
            closedir(d);
            return true;
        }
        remote_release(r);
    }
    if (d)
        closedir(d);
    return false;
}

struct entry_points {
    uint64_t dlopen, dlsym, dlerror, mmap, munmap, errno_location;
    uint64_t attach, detach; /* in the library, once loaded */
};

static bool call(struct remote *r, uint64_t fn, uint64_t a, uint64_t b, uint64_t c,
                 uint64_t *ret, char *err, size_t cap)
{
    uint64_t args[6] = {a, b, c, 0, 0, 0};
    if (!fn) {
        snprintf(err, cap, "a function needed in the process was not found");
        return false;
    }
    return remote_call(r, fn, args, 6, ret, err, cap);
}

/* errno is memory, not a register: the thread may be between a failed call
 * and its look at errno, so our calls must leave it as they found it. */
struct saved_errno {
    uint64_t at;
    int value;
};

static void errno_save(struct remote *r, const struct entry_points *ep, struct saved_errno *e)
{
    char err[64];
    e->at = 0;
    if (!ep->errno_location ||
        !call(r, ep->errno_location, 0, 0, 0, &e->at, err, sizeof err) ||
        !remote_read(r->tid, e->at, &e->value, sizeof e->value))
        e->at = 0;
}

static void errno_restore(struct remote *r, const struct saved_errno *e)
{
    if (e->at)
        remote_write(r->tid, e->at, &e->value, sizeof e->value);
}

/* In the stopped thread: map a scratch page, dlopen, heaptrace__attach. */
static bool inject(struct remote *r, struct entry_points *ep, const char *lib, const char *cfg,
                   struct ht_attach_result *res, char *err, size_t cap)
{
    uint64_t scratch = 0, h = 0, ok = 0;
    uint64_t margs[6] = {0, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         (uint64_t)-1, 0};
    if (!remote_call(r, ep->mmap, margs, 6, &scratch, err, cap))
        return false;
    if (scratch == (uint64_t)MAP_FAILED) {
        snprintf(err, cap, "the process could not map a page for us");
        return false;
    }
    uint64_t lib_at = scratch, sym_at = scratch + 4096, cfg_at = scratch + 8192,
             res_at = scratch + SCRATCH_SIZE - sizeof *res;
    bool done = false;
    if (strlen(cfg) + 1 > res_at - cfg_at || !remote_write(r->tid, lib_at, lib, strlen(lib) + 1) ||
        !remote_write(r->tid, cfg_at, cfg, strlen(cfg) + 1)) {
        snprintf(err, cap, "cannot write into the process");
    } else if (call(r, ep->dlopen, lib_at, RTLD_NOW, 0, &h, err, cap) && !h) {
        uint64_t msg = 0;
        char text[512] = "";
        if (call(r, ep->dlerror, 0, 0, 0, &msg, err, cap) && msg)
            remote_read(r->tid, msg, text, sizeof text - 1);
        snprintf(err, cap, "the process could not load %s: %s", lib, text);
    } else if (h) {
        static const char attach_name[] = "heaptrace__attach", detach_name[] = "heaptrace__detach";
        remote_write(r->tid, sym_at, attach_name, sizeof attach_name);
        remote_write(r->tid, sym_at + 64, detach_name, sizeof detach_name);
        if (call(r, ep->dlsym, h, sym_at, 0, &ep->attach, err, cap) &&
            call(r, ep->dlsym, h, sym_at + 64, 0, &ep->detach, err, cap) &&
            call(r, ep->attach, cfg_at, res_at, 0, &ok, err, cap) &&
            remote_read(r->tid, res_at, res, sizeof *res))
            done = true;
        else if (!err[0])
            snprintf(err, cap, "%s has no heaptrace__attach (an older library?)", lib);
    }
    call(r, ep->munmap, scratch, SCRATCH_SIZE, 0, &ok, err, done ? cap : 0);
    return done;
}

static const char *status_text(int64_t status)
{
    switch (status) {
    case HT_ATTACH_EBUSY: return "heaptrace is already tracing it";
    case HT_ATTACH_EINIT: return "the library could not start (can the process's user create "
                                 "the log? see the program's stderr)";
    case HT_ATTACH_EPATCH: return "the library could not find its own wrappers";
    default: return "unknown failure";
    }
}

static const char *allocator_name(uint64_t a)
{
    return a == HT_ATTACH_GLIBC ? "glibc" : a == HT_ATTACH_JEMALLOC ? "jemalloc" : "unknown";
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static bool process_alive(pid_t pid)
{
    return kill(pid, 0) == 0 || errno == EPERM;
}

/* Until --for has passed, Ctrl-C, or the process is gone; true when it is gone. */
static bool wait_recording(const struct options *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!process_alive(o->pid))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        unsigned long ms = (unsigned long)((now.tv_sec - t0.tv_sec) * 1000 +
                                           (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (interrupted || (o->for_ms && ms >= o->for_ms))
            return false;
        struct timespec tick = {0, 50 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    char err[1024] = "", lib[PATH_MAX], out_abs[PATH_MAX + 8];
    struct target t;
    if (!target_open(&t, o.pid, err, sizeof err)) {
        fprintf(stderr, "%s: error: %s\n", me, err);
        return 1;
    }
    if (t.has_heaptrace) {
        fprintf(stderr,
                "%s: error: process %d (%s) already has libheaptrace.so loaded: it runs under "
                "heaptrace, or was attached to before\n",
                me, (int)o.pid, t.comm);
        return 1;
    }
    if (!find_library(&o, lib, sizeof lib)) {
        fprintf(stderr, "%s: error: cannot find libheaptrace.so (give it with --lib PATH)\n", me);
        return 1;
    }
    if (o.out[0] == '/')
        snprintf(out_abs, sizeof out_abs, "%s", o.out);
    else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            fprintf(stderr, "%s: error: cannot find the current directory\n", me);
            return 1;
        }
        snprintf(out_abs, sizeof out_abs, "%s/%s", cwd, o.out);
    }
    char *cfg = settings(&o, out_abs);
    struct entry_points ep = {
        target_libc_symbol(&t, "dlopen"), target_libc_symbol(&t, "dlsym"),
        target_libc_symbol(&t, "dlerror"), target_libc_symbol(&t, "mmap"),
        target_libc_symbol(&t, "munmap"), target_libc_symbol(&t, "__errno_location"), 0, 0};
    if (!cfg || !ep.dlopen || !ep.dlsym || !ep.mmap) {
        fprintf(stderr, "%s: error: no dlopen in %s (glibc 2.34 or later is needed)\n", me,
                t.libc_path);
        return 1;
    }
    /* From here on Ctrl-C must not leave a thread half-called. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct remote r;
    struct ht_attach_result res;
    memset(&res, 0, sizeof res);
    bool ok = stop_some_thread(&r, &t, err, sizeof err);
    double held_ms = 0;
    if (ok) {
        struct timespec a, b; /* how long the thread did our work instead of its own */
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct saved_errno e;
        errno_save(&r, &ep, &e);
        ok = inject(&r, &ep, lib, cfg, &res, err, sizeof err);
        errno_restore(&r, &e);
        remote_release(&r);
        clock_gettime(CLOCK_MONOTONIC, &b);
        held_ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    }
    if (ok && res.status != 0) {
        snprintf(err, sizeof err, "%s", status_text(res.status));
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "%s: error: cannot attach to process %d (%s): %s\n", me, (int)o.pid,
                t.comm, err);
        return 1;
    }
    res.log[sizeof res.log - 1] = '\0';
    if (!o.quiet) {
        char before[32];
        human_bytes(res.heap_bytes, before, sizeof before);
        fprintf(stderr,
                "%s: recording process %d (%s) into %s; %s in use before the attach (%s), not "
                "tracked; %llu call sites routed, thread %d held %.0f ms; %s\n",
                me, (int)o.pid, t.comm, res.log, res.heap_bytes ? before : "an unknown amount",
                allocator_name(res.allocator), (unsigned long long)res.slots, (int)r.tid, held_ms,
                o.for_ms ? "detaching after --for" : "Ctrl-C detaches");
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    bool gone = wait_recording(&o);
    sigprocmask(SIG_BLOCK, &block, NULL);
    if (!gone) {
        uint64_t ret = 0;
        struct saved_errno e = {0, 0};
        ok = stop_some_thread(&r, &t, err, sizeof err);
        if (ok) {
            errno_save(&r, &ep, &e);
            ok = call(&r, ep.detach, 0, 0, 0, &ret, err, sizeof err);
            errno_restore(&r, &e);
        }
        remote_release(&r);
        if (!ok) {
            fprintf(stderr,
                    "%s: warning: could not detach cleanly (%s); the recording ends by itself "
                    "within a second\n",
                    me, err);
            sleep(2);
        }
    }
    if (!o.quiet)
        fprintf(stderr, "heaptrace: %s process %d; wrote %s; read it with: heaptrace-report %s\n",
                gone ? "recorded until the end of" : "detached from", (int)o.pid, res.log,
                res.log);
    free(cfg);
    return 0;
}
