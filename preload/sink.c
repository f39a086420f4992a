/* SPDX-License-Identifier: MIT */
/*
 * sink.c - the log's own process: it holds every descriptor the tracer needs,
 * so the program's descriptor table holds none of ours.
 *
 * Why a process: a descriptor in the program's table changes what the
 * program sees (its first open() returns 5, not 3; under `ulimit -n 16` it
 * opens fewer files) and is lost when the program closes everything
 * (closefrom(3), a daemon's close loop, dup2 of /dev/null over every
 * number), and with it the whole log. The sink is cloned from the program
 * with CLONE_VM and without CLONE_FILES: it shares the program's memory (the
 * compressed log reaches it through a ring in that memory, never through a
 * descriptor) and has a descriptor table of its own, which it empties at
 * once and in which it then opens the log, /proc/<pid>/statm, maps, stat and
 * cmdline. So it also keeps the log of a program that closes everything,
 * execs, or is killed with SIGKILL: what was compressed is written.
 *
 * The program is unchanged otherwise: the sink is not its child but its
 * grandchild's, reparented to init at once (sink_spawn), so no wait of the
 * program ever sees it, not even strace's __WALL wait for ECHILD; it
 * runs in a session of its own (terminal and process-group signals do not
 * reach it) with every signal blocked, and it is not one of the program's
 * threads, so the program ends when its last thread ends.
 *
 * The sink runs on the program's memory with the thread pointer of the
 * thread that cloned it: it calls no libc function that touches thread
 * state (errno) or allocates, only raw system calls (sys() below).
 * It ends when the writer closes the log, when the program has gone (its
 * pidfd is readable), or when the program
 * exec'd (the kernel clears exec_tid, see ht_sink_exec_arm).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ht.h"

#define SINK_RING (1u << 20)       /* compressed bytes in flight: 8 of zstd's 128 KiB outputs */
#define SINK_STACK (256u << 10)
#define SINK_SPAWN_STACK (16u << 10) /* the top of the stack, for sink_spawn */
#define SINK_IO (16u << 10)        /* one /proc read */
#define SINK_IDLE_NS (100 * 1000 * 1000) /* how often an idle sink looks at the program */

enum { SINK_STARTING = 0, SINK_OPEN = 1, SINK_FAILED = 2, SINK_DONE = 3 };

struct ht_sink {
    _Atomic uint64_t head;     /* bytes put by the writer */
    _Atomic uint64_t tail;     /* bytes written to the file by the sink */
    _Atomic uint32_t wake;     /* the sink sleeps on it */
    _Atomic uint32_t sleeping;
    _Atomic uint32_t progress; /* bumped by the sink after a write or an answer */
    _Atomic int state;
    _Atomic int err;           /* errno of the first failure */
    _Atomic int close_req;
    _Atomic int tid;           /* the sink's tid; the kernel clears it when the sink ends */
    _Atomic int exec_tid;      /* the kernel clears it when the program execs */
    _Atomic int exec_armed;
    _Atomic int spawn_err;     /* errno of the second clone (sink_spawn) */
    pid_t program;
    /* one /proc request at a time */
    _Atomic uint32_t io_lock;
    _Atomic uint32_t io_req, io_done;
    char io_name[16];
    uint64_t io_off;
    uint32_t io_len;
    long io_result; /* bytes, or -errno */
    uint8_t io_data[SINK_IO];
    char want[PATH_MAX], path[PATH_MAX], loglist[PATH_MAX];
    uint8_t ring[SINK_RING];
};


static struct sink_state {
    struct ht_sink *sink;     /* this process's, or NULL */
    uint8_t *sink_stack;
    _Atomic(int *) first_tid; /* glibc's tid word of the process's first thread */
    long program_pidfd; /* the program's pidfd: readable once it has ended (zombie or reaped) */
    const uint32_t *tid_desc; /* libthread_db's description of glibc's tid word: bits, count,
                               * offset (glibc_tid_word) */
} sk = {.program_pidfd = -1};

/* ---- raw system calls (sandbox.c): no errno, no thread state ---------- */

#define sys ht_raw_syscall
#define SYS0(n) sys((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) sys((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) sys((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) sys((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) sys((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define OPEN(path, flags, mode) SYS4(SYS_openat, AT_FDCWD, (path), (flags), (mode))

static void futex_wait(_Atomic uint32_t *word, uint32_t val, long ns)
{
    struct timespec to = {ns / 1000000000L, ns % 1000000000L};
    SYS4(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &to);
}

static void futex_wake(_Atomic uint32_t *word)
{
    SYS3(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX);
}

static void sink_wake(struct ht_sink *s)
{
    /* head (or close_req) before sleeping, as the sink stores sleeping
     * before it looks at head: else each may miss the other's store */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&s->sleeping) && atomic_exchange(&s->wake, 1) == 0)
        futex_wake(&s->wake);
}

/* ---- opening the log (in the sink) ------------------------------------ */

/* "dir/run.htrace" -> "dir/run.<pid>[.<k>].htrace": the next free name. */
static void alternative_name(char *out, size_t cap, const char *path, pid_t pid, unsigned k)
{
    size_t len = strlen(path), stem = len;
    if (len > 7 && strcmp(path + len - 7, ".htrace") == 0)
        stem = len - 7;
    char num[24], kbuf[24];
    size_t n = 0;
    for (size_t i = 0; i < stem && n + 1 < cap; i++)
        out[n++] = path[i];
    ht_fmt_u64(num, (uint64_t)pid);
    const char *parts[] = {".", num, NULL, NULL, ".htrace"};
    if (k) {
        ht_fmt_u64(kbuf, k);
        parts[2] = ".";
        parts[3] = kbuf;
    }
    for (int i = 0; i < 5; i++)
        for (const char *p = parts[i]; p && *p && n + 1 < cap; p++)
            out[n++] = *p;
    out[n] = '\0';
}

/*
 * An existing character device (/dev/null, /dev/full) is written as it is.
 * Everything else follows the never-overwrite rule: created with
 * O_EXCL|O_NOFOLLOW, or the next free name; never a symlink, never an
 * existing file, whatever directory it is in. The device is recognised by
 * fstat of an O_PATH|O_NOFOLLOW descriptor (opening it has no effect on
 * anything) and reopened through that descriptor, so it is the same inode.
 */
static long open_device(const char *path)
{
    long probe = OPEN(path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
    if (probe < 0)
        return -ENOENT;
    struct stat st;
    long fd = -ENOENT;
    if (SYS2(SYS_fstat, probe, &st) == 0 && S_ISCHR(st.st_mode)) {
        char self[40] = "/proc/self/fd/";
        ht_fmt_u64(self + 14, (uint64_t)probe);
        fd = OPEN(self, O_WRONLY | O_CLOEXEC | O_NOCTTY, 0);
        if (fd == -ENOENT) /* no /proc: by name, then checked to be the same device */
            fd = OPEN(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0);
        struct stat st2;
        if (fd >= 0 && (SYS2(SYS_fstat, fd, &st2) != 0 || st2.st_rdev != st.st_rdev ||
                        st2.st_ino != st.st_ino)) {
            SYS1(SYS_close, fd);
            fd = -EINVAL;
        }
    }
    SYS1(SYS_close, probe);
    return fd;
}

static long create_log(struct ht_sink *s)
{
    long fd = open_device(s->want);
    ht_strlcpy(s->path, s->want, sizeof s->path);
    if (fd >= 0 || fd == -EINVAL)
        return fd;
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    for (unsigned k = 0; k < 1000; k++) {
        if (k > 0)
            alternative_name(s->path, sizeof s->path, s->want, s->program, k - 1);
        fd = OPEN(s->path, flags, 0600);
        if (fd >= 0 || fd != -EEXIST)
            return fd;
    }
    return -EEXIST;
}

static void append_loglist(struct ht_sink *s)
{
    if (!s->loglist[0])
        return;
    long fd = OPEN(s->loglist, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY, 0);
    if (fd < 0)
        return;
    static const char nl = '\n';
    SYS3(SYS_write, fd, s->path, strlen(s->path));
    SYS3(SYS_write, fd, &nl, 1);
    SYS1(SYS_close, fd);
}

/* ---- the sink's loop -------------------------------------------------- */

/*
 * The /proc files the shim reads, opened when the sink starts and kept:
 * permission to read maps is checked when it is opened, so a program that
 * later changes its user id or makes itself non-dumpable is still read.
 * Each read is a pread from the offset asked (0: a fresh listing).
 */
static const char *const proc_names[] = {"maps", "statm", "stat", "cmdline"};
#define PROC_FILES (sizeof proc_names / sizeof proc_names[0])

static void proc_open_all(const struct ht_sink *s, long *fds)
{
    for (size_t i = 0; i < PROC_FILES; i++) {
        char p[64] = "/proc/";
        size_t n = 6 + ht_fmt_u64(p + 6, (uint64_t)s->program);
        p[n++] = '/';
        ht_strlcpy(p + n, proc_names[i], sizeof p - n);
        fds[i] = OPEN(p, O_RDONLY | O_CLOEXEC, 0);
    }
}

static void serve_io(struct ht_sink *s, const long *fds)
{
    uint32_t req = atomic_load(&s->io_req);
    if (req == atomic_load(&s->io_done))
        return;
    long r = -ENOENT;
    for (size_t i = 0; i < PROC_FILES; i++)
        if (strcmp(proc_names[i], s->io_name) == 0 && (r = fds[i]) >= 0)
            r = SYS4(SYS_pread64, fds[i], s->io_data, s->io_len < SINK_IO ? s->io_len : SINK_IO,
                     s->io_off);
    s->io_result = r;
    atomic_store(&s->io_done, req);
    futex_wake(&s->io_done);
}

/* Writes what the ring holds; false when nothing was there. */
static bool write_ring(struct ht_sink *s, long fd)
{
    uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
    if (head == tail)
        return false;
    uint64_t at = tail % SINK_RING;
    uint64_t n = head - tail;
    if (n > SINK_RING - at)
        n = SINK_RING - at;
    long r = -EBADF;
    if (atomic_load(&s->state) == SINK_OPEN) {
        do
            r = SYS3(SYS_write, fd, s->ring + at, n);
        while (r == -EINTR);
        if (r == 0)
            r = -ENOSPC;
        if (r < 0) {
            atomic_store(&s->err, (int)-r);
            atomic_store(&s->state, SINK_FAILED); /* the writer stops tracing */
        }
    }
    atomic_store_explicit(&s->tail, tail + (r > 0 ? (uint64_t)r : n), memory_order_release);
    atomic_fetch_add(&s->progress, 1);
    futex_wake(&s->progress);
    return true;
}

static bool program_left(struct ht_sink *s)
{
    if (sk.program_pidfd >= 0) {
        struct {
            int fd;
            short events, revents;
        } p = {(int)sk.program_pidfd, 1 /* POLLIN */, 0};
        if (SYS3(SYS_poll, &p, 1, 0) == 1)
            return true;
    } else if (SYS0(SYS_getppid) != s->program && SYS2(SYS_kill, s->program, 0) == -ESRCH) {
        return true;
    }
    return atomic_load(&s->exec_armed) && atomic_load(&s->exec_tid) == 0;
}

static int sink_main(void *arg)
{
    struct ht_sink *s = arg;
    if (SYS3(SYS_close_range, 0, ~0u, 0) != 0)
        for (long fd = 0; fd < 65536; fd++)
            SYS1(SYS_close, fd);
    SYS0(SYS_setsid);
    SYS2(SYS_prctl, PR_SET_NAME, "heaptrace-log");
    long fd = create_log(s);
    if (fd < 0) {
        atomic_store(&s->err, (int)-fd);
        atomic_store(&s->state, SINK_FAILED);
        futex_wake((_Atomic uint32_t *)&s->state);
        return 0;
    }
    append_loglist(s);
    atomic_store(&s->state, SINK_OPEN);
    futex_wake((_Atomic uint32_t *)&s->state);
    long proc_fds[PROC_FILES];
    proc_open_all(s, proc_fds);
    sk.program_pidfd = SYS2(SYS_pidfd_open, s->program, 0);
    for (;;) {
        serve_io(s, proc_fds);
        if (write_ring(s, fd))
            continue;
        if (atomic_load(&s->close_req) || program_left(s)) {
            if (!write_ring(s, fd))
                break;
            continue;
        }
        atomic_store(&s->sleeping, 1);
        if (atomic_load(&s->head) == atomic_load(&s->tail) &&
            atomic_load(&s->io_req) == atomic_load(&s->io_done) && !atomic_load(&s->close_req))
            futex_wait(&s->wake, 0, SINK_IDLE_NS);
        atomic_store(&s->wake, 0);
        atomic_store(&s->sleeping, 0);
    }
    SYS1(SYS_close, fd);
    atomic_store(&s->state, SINK_DONE);
    atomic_fetch_add(&s->progress, 1);
    futex_wake(&s->progress);
    return 0;
}

/*
 * The sink is not the program's child: a program that waits for all its
 * children with __WALL until ECHILD (strace -f does) would wait for ever
 * for a sink that waits for the program. A first clone (this function, on
 * the top of the sink's stack) clones the sink and ends at once; the sink
 * is reparented to init (or the nearest subreaper), which reaps it, and the
 * program reaps only this short-lived one.
 */
static int sink_spawn(void *arg)
{
    struct ht_sink *s = arg;
    long tid = clone(sink_main, sk.sink_stack + SINK_STACK - SINK_SPAWN_STACK,
                     CLONE_VM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, s, (int *)&s->tid,
                     NULL, (int *)&s->tid);
    if (tid < 0)
        atomic_store(&s->spawn_err, errno);
    SYS1(SYS_exit, HT_EXIT_OK);
    return 0;
}

/* ---- the program's side ------------------------------------------------ */

static void sink_reap(struct ht_sink *s);

static bool sink_alive(const struct ht_sink *s)
{
    return atomic_load(&s->tid) != 0;
}

/* glibc's word for the calling thread's tid, which the kernel clears when
 * the thread ends (its clear_child_tid); NULL if this glibc does not say. */

static int *glibc_tid_word(void)
{
    if (!sk.tid_desc || sk.tid_desc[0] != 32)
        return NULL;
    int *word = (int *)((char *)pthread_self() + sk.tid_desc[2]);
    return *word == (int)syscall(SYS_gettid) ? word : NULL;
}

/* At init (and in a fork child): the thread the process starts with. */
void ht_sink_note_first_thread(void)
{
    if (!sk.tid_desc)
        sk.tid_desc = ht_real_next("_thread_db_pthread_tid"); /* GLIBC_PRIVATE, for debuggers */
    atomic_store(&sk.first_tid, glibc_tid_word());
}

bool ht_sink_start(const char *want, char *path, size_t cap)
{
    if (!sk.sink_stack && !(sk.sink_stack = ht_mem_alloc(SINK_STACK)))
        return errno = ENOMEM, false;
    struct ht_sink *s = ht_mem_alloc(sizeof *s);
    if (!s)
        return errno = ENOMEM, false;
    ht_strlcpy(s->want, want, sizeof s->want);
    ht_strlcpy(s->loglist, ht_config.loglist, sizeof s->loglist);
    s->program = getpid();
    atomic_store(&s->exec_tid, -1);
    /* Every signal blocked across the clone (glibc's own too: the raw call):
     * the sink inherits the mask, so no handler of the program runs in it.
     * The kernel sets tid before clone returns and clears it (with a futex
     * wake) when the sink ends, however it ends. */
    uint64_t all = ~0ull, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    /* A subreaper (an init, tini) would get the sink back as a child that
     * raises SIGCHLD: it gets it as its own child, exit signal 0, as before. */
    int reaper = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &reaper);
    int spawner = clone(reaper ? sink_main : sink_spawn, sk.sink_stack + SINK_STACK - 64,
                        CLONE_VM | (reaper ? CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID : 0), s,
                        (int *)&s->tid, NULL, (int *)&s->tid);
    int clone_err = errno;
    if (spawner > 0 && !reaper) { /* s->tid is set once it has ended (ECHILD: the program's wait took it) */
        while (waitpid(spawner, NULL, __WCLONE) < 0 && errno == EINTR)
            ;
        clone_err = atomic_load(&s->spawn_err);
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    if (spawner < 0 || atomic_load(&s->tid) == 0) {
        ht_mem_free(s);
        errno = clone_err ? clone_err : EAGAIN;
        return false;
    }
    while (atomic_load(&s->state) == SINK_STARTING && sink_alive(s))
        futex_wait((_Atomic uint32_t *)&s->state, SINK_STARTING, SINK_IDLE_NS);
    ht_strlcpy(path, s->path, cap);
    if (atomic_load(&s->state) != SINK_OPEN) {
        int err = atomic_load(&s->err);
        sink_reap(s);
        errno = err ? err : EIO;
        return false;
    }
    sk.sink = s;
    return true;
}

/* Waits for the sink to end, so it leaves no zombie behind. */
static void sink_reap(struct ht_sink *s)
{
    int err = errno;
    int tid = s->tid;
    while (sink_alive(s))
        futex_wait((_Atomic uint32_t *)&s->tid, (uint32_t)tid, SINK_IDLE_NS);
    /* The kernel clears tid a moment before the sink is a zombie: wait for
     * that (ECHILD at once if the program's own __WALL wait took it). */
    while (tid > 0 && waitpid(tid, NULL, __WCLONE) < 0 && errno == EINTR)
        ;
    ht_mem_free(s);
    errno = err;
}

bool ht_sink_write(const void *p, size_t n, int *err)
{
    struct ht_sink *s = sk.sink;
    if (!s)
        return *err = EBADF, false;
    const uint8_t *b = p;
    while (n) {
        if (atomic_load(&s->state) != SINK_OPEN || !sink_alive(s)) {
            int e = atomic_load(&s->err);
            *err = e ? e : EPIPE;
            return false;
        }
        uint64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
        uint64_t room = SINK_RING - (head - atomic_load_explicit(&s->tail, memory_order_acquire));
        if (room == 0) {
            uint32_t seen = atomic_load(&s->progress);
            sink_wake(s);
            if (SINK_RING - (head - atomic_load(&s->tail)) == 0)
                futex_wait(&s->progress, seen, SINK_IDLE_NS);
            continue;
        }
        uint64_t at = head % SINK_RING;
        size_t k = n;
        if (k > room)
            k = (size_t)room;
        if (k > SINK_RING - at)
            k = (size_t)(SINK_RING - at);
        memcpy(s->ring + at, b, k);
        atomic_store_explicit(&s->head, head + k, memory_order_release);
        b += k;
        n -= k;
    }
    sink_wake(s);
    return true;
}

bool ht_sink_sync(int *err)
{
    struct ht_sink *s = sk.sink;
    if (!s)
        return *err = EBADF, false;
    for (;;) {
        uint32_t seen = atomic_load(&s->progress);
        bool open = atomic_load(&s->state) == SINK_OPEN;
        if (open && atomic_load(&s->tail) == atomic_load(&s->head))
            return true;
        if (!open || !sink_alive(s)) { /* the sink's tid word: cleared when it ends */
            int e = atomic_load(&s->err);
            *err = e ? e : EPIPE;
            return false;
        }
        sink_wake(s);
        futex_wait(&s->progress, seen, SINK_IDLE_NS);
    }
}

void ht_sink_close(void)
{
    struct ht_sink *s = sk.sink;
    if (!s)
        return;
    sk.sink = NULL;
    atomic_store(&s->close_req, 1);
    atomic_store(&s->wake, 1);
    futex_wake(&s->wake);
    sink_reap(s);
}

void ht_sink_forget(void)
{
    /* The parent's: its memory here is a copy (dropped, so that the parent
     * does not copy the ring's pages on write), its process not ours. */
    if (sk.sink)
        ht_mem_free(sk.sink);
    sk.sink = NULL;
}

/*
 * Before exec: the kernel clears the thread's clear_child_tid word in the
 * old address space when the exec succeeds (and wakes its futex). Pointing
 * it at exec_tid tells the sink the program has become another program: it
 * writes what it holds and ends. When the exec fails, glibc's word comes
 * back.
 */
void ht_sink_exec_arm(void)
{
    struct ht_sink *s = sk.sink;
    if (!s || !glibc_tid_word())
        return;
    atomic_store(&s->exec_tid, (int)syscall(SYS_gettid));
    syscall(SYS_set_tid_address, &s->exec_tid);
    atomic_store(&s->exec_armed, 1);
}

void ht_sink_exec_failed(void)
{
    struct ht_sink *s = sk.sink;
    if (!s || !atomic_load(&s->exec_armed))
        return;
    int err = errno;
    syscall(SYS_set_tid_address, (char *)pthread_self() + sk.tid_desc[2]);
    atomic_store(&s->exec_armed, 0);
    errno = err;
}

/* ---- /proc/self files, read by the sink -------------------------------- */

static void io_lock(struct ht_sink *s)
{
    while (atomic_exchange(&s->io_lock, 1) != 0)
        futex_wait(&s->io_lock, 1, SINK_IDLE_NS);
}

static void io_unlock(struct ht_sink *s)
{
    atomic_store(&s->io_lock, 0);
    futex_wake(&s->io_lock);
}

/* One read through the sink: bytes, or -1 when it cannot answer. */
static long sink_read(struct ht_sink *s, const char *name, uint64_t off, void *buf, size_t n)
{
    io_lock(s);
    ht_strlcpy(s->io_name, name, sizeof s->io_name);
    s->io_off = off;
    s->io_len = (uint32_t)(n < SINK_IO ? n : SINK_IO);
    uint32_t req = atomic_load(&s->io_req) + 1;
    atomic_store(&s->io_req, req);
    atomic_store(&s->wake, 1);
    futex_wake(&s->wake);
    uint64_t deadline = ht_mono_ns() + 5000000000ull;
    while (atomic_load(&s->io_done) != req && sink_alive(s) && ht_mono_ns() < deadline)
        futex_wait(&s->io_done, req - 1, 10 * 1000 * 1000);
    long r = -1;
    if (atomic_load(&s->io_done) == req && s->io_result >= 0) {
        r = s->io_result;
        memcpy(buf, s->io_data, (size_t)r);
    }
    io_unlock(s);
    return r;
}

/* The sink serves the process it was made for; anyone else (a snapshot's
 * child, a vfork child) reads /proc/self with a descriptor of its own. */
static struct ht_sink *sink_here(void)
{
    struct ht_sink *s = sk.sink;
    return s && s->program == getpid() && sink_alive(s) ? s : NULL;
}

bool ht_proc_open(struct ht_proc *f, const char *name)
{
    ht_strlcpy(f->name, name, sizeof f->name);
    f->off = 0;
    f->fd = -1;
    if (sink_here())
        return true;
    if (ht_sandboxed()) /* a seccomp filter may kill an open (sandbox.c) */
        return false;
    char p[32] = "/proc/self/";
    ht_strlcpy(p + 11, name, sizeof p - 11);
    f->fd = open(p, O_RDONLY | O_CLOEXEC);
    return f->fd >= 0;
}

long ht_proc_read(struct ht_proc *f, void *buf, size_t n)
{
    long r;
    struct ht_sink *s;
    if (f->fd < 0 && (s = sink_here()))
        r = sink_read(s, f->name, f->off, buf, n);
    else
        r = f->fd >= 0 ? read(f->fd, buf, n) : -1;
    if (r > 0)
        f->off += (uint64_t)r;
    return r;
}

void ht_proc_close(struct ht_proc *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* Field `want` (1-based, as proc(5) numbers them) of /proc/self/stat's line
 * after the command's closing parenthesis; -1 if missing. */
static long stat_field(const char *after_comm, unsigned want)
{
    unsigned field = 3;
    const char *p = after_comm;
    for (; *p && field < want; p++)
        if (*p == ' ')
            field++;
    if (field != want || *p < '0' || *p > '9')
        return -1;
    long v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (*p - '0');
    return v;
}

/* Whether every thread of the program has ended and only ours are left (the
 * writer, the caller): a main that called pthread_exit or a raw exit. Then
 * *status is the exit status the first thread gave (what the process would
 * have ended with when it ended last; proc(5) exit_code). */
bool ht_program_gone(int *status)
{
    int *word = atomic_load(&sk.first_tid);
    if (word && *word != 0)
        return false; /* the first thread still runs: the cheap, common answer */
    struct ht_proc f;
    char buf[1024];
    if (!ht_proc_open(&f, "stat"))
        return false;
    long n = ht_proc_read(&f, buf, sizeof buf - 1);
    ht_proc_close(&f);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* "pid (comm) S ppid ..." */
    if (!p || p[1] != ' ' || !p[2])
        return false;
    char state = p[2];
    long threads = stat_field(p + 2, 20), code = stat_field(p + 2, 52);
    *status = code > 0 ? (int)((code >> 8) & 0xff) : 0;
    /* A leader that ended before its threads stays a zombie, counted. */
    return threads > 0 && threads - (state == 'Z') <= 1;
}
