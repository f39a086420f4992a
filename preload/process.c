/* SPDX-License-Identifier: MIT */
/*
 * process.c - what happens around the heap: threads, fork, exec, _exit,
 * dlopen/dlclose and anonymous mmap.
 *
 * - pthread_create: the new thread registers itself (THREAD_START with its
 *   stack range) before running the user's function; pthread_setname_np
 *   records the name.
 * - fork: the parent records FORK; pthread_atfork handlers (init.c) give the
 *   child its own log at once, before it can drop privileges.
 * - exec: the log is flushed (a complete frame) before the image goes; the
 *   new image is traced too and learns its parent's log from
 *   HEAPTRACE_PARENT_LOG, which we add to the environment we pass on.
 * - _exit/_Exit: the log is finished (END) first; normal exit goes through
 *   the library destructor instead.
 * A vfork child shares our memory and must not touch the parent's log: every
 * path here checks it runs in the process that owns the log.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

extern char **environ;

#define TP_EMPTY 0u
#define TP_EARLY 1u
#define TP_REG 2u /* word = index << 2 | TP_REG */
struct tp_entry {
    _Atomic uint64_t key, word;
};

static struct process_state {
    pid_t log_owner;            /* the pid whose log we write */
    struct tp_entry *_Atomic tps; /* thread pointers (below), mapped on first use */
    char parent_env[HT_PATH_MAX + 32]; /* HEAPTRACE_PARENT_LOG=<our log>, for an exec */
} pr;

void ht_process_set_owner(void)
{
    pr.log_owner = getpid();
}

static bool owns_log(void)
{
    return pr.log_owner == getpid();
}

/* ---- threads ----------------------------------------------------------- */

/*
 * Joins and detaches: a thread that exits with neither keeps its stack
 * mapped for good, which the report shows (THREAD_RELEASE).
 *
 * glibc's pthread_t is the thread's thread pointer (tp). A thread puts its
 * tp and log index in `tps` when it registers; pthread_join/detach look the
 * tp up there. A release that comes before the thread registered (a detach
 * right after pthread_create) leaves EARLY in the slot instead, and the
 * thread records its own release when it registers: the exchange and the
 * compare-exchange on the slot's word decide which side records it, once.
 * A recorded release empties the slot: glibc reuses a released thread's
 * stack, and with it the tp, for a later thread.
 */
#define TPS 65536 /* distinct thread stacks the table tells apart (1 MiB, mapped when needed) */

static _Atomic uint64_t *tp_slot(uint64_t tp)
{
    struct tp_entry *t = HT_MEM_ONCE(&pr.tps, TPS * sizeof *t);
    if (!t)
        return NULL;
    uint64_t h = (tp >> 12) * 0x9E3779B97F4A7C15ull;
    for (unsigned probe = 0; probe < TPS; probe++) {
        unsigned i = (unsigned)((h >> 48) + probe) % TPS;
        uint64_t k = atomic_load(&t[i].key);
        if (k == tp)
            return &t[i].word;
        if (k == 0) {
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong(&t[i].key, &expected, tp) || expected == tp)
                return &t[i].word;
        }
    }
    return NULL; /* full: releases of new stacks go unrecorded */
}

static void record_release(uint64_t index)
{
    if (ht_enter()) {
        ht_rec_simple(HT_REC_THREAD_RELEASE, 1, index, 0);
        ht_leave();
    }
}

/* The thread itself, once registered. */
static void thread_registered(uint64_t tp, uint32_t index)
{
    _Atomic uint64_t *w = tp_slot(tp);
    if (!w)
        return;
    uint64_t old = atomic_exchange(w, (uint64_t)index << 2 | TP_REG);
    if ((old & 3) == TP_EARLY) { /* released before we got here */
        atomic_store(w, TP_EMPTY);
        record_release(index);
    }
}

/*
 * Every thread pointer the table holds, and whether that thread was released
 * (joined or detached: once it ends, glibc keeps its stack in its cache) or
 * not (yet). For the exit snapshot (freeres.c, snapshot.c).
 */
void ht_process_each_tp(void (*fn)(void *arg, uint64_t tp, bool released), void *arg)
{
    struct tp_entry *t = atomic_load(&pr.tps);
    for (unsigned i = 0; t && i < TPS; i++) {
        uint64_t k = atomic_load(&t[i].key);
        if (k)
            fn(arg, k, (atomic_load(&t[i].word) & 3) != TP_REG);
    }
}

/* A fork child: glibc moves the stacks of the parent's other threads to its
 * stack cache (they do not run here), so the table calls them released. */
void ht_process_after_fork_child(uint64_t self_tp)
{
    struct tp_entry *t = atomic_load(&pr.tps);
    for (unsigned i = 0; t && i < TPS; i++)
        if (atomic_load(&t[i].key) != self_tp)
            atomic_store(&t[i].word, TP_EMPTY);
}

/* A successful join or detach of th. */
static void thread_released(pthread_t th)
{
    _Atomic uint64_t *w = tp_slot((uint64_t)th);
    if (!w)
        return;
    uint64_t v = atomic_load(w);
    for (;;) {
        if ((v & 3) == TP_REG) {
            if (atomic_compare_exchange_strong(w, &v, TP_EMPTY)) {
                record_release(v >> 2);
                return;
            }
        } else if (atomic_compare_exchange_strong(w, &v, TP_EARLY)) {
            return; /* the thread records it when it registers */
        }
    }
}

struct start {
    void *(*fn)(void *);
    void *arg;
    bool detached; /* created detached: released from the start */
};

static void *thread_start(void *p)
{
    struct start s = *(struct start *)p;
    ht_mem_free(p);
    if (ht_enter()) {
        struct ht_thread *t = ht_thread_get(); /* registers: THREAD_START, this stack */
        ht_leave();
        if (t && s.detached) {
            record_release(t->index);
            (void)tp_slot(t->tp); /* known, released: its stack goes to glibc's cache */
        }
        else if (t)
            thread_registered(t->tp, t->index);
    }
    return s.fn(s.arg);
}

HT_EXPORT int pthread_join(pthread_t th, void **ret)
{
    HT_NEXT(pthread_join);
    int rc = real_pthread_join(th, ret);
    if (rc == 0)
        thread_released(th);
    return rc;
}

HT_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
    HT_NEXT(pthread_tryjoin_np);
    int rc = real_pthread_tryjoin_np(th, ret);
    if (rc == 0)
        thread_released(th);
    return rc;
}

HT_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
    HT_NEXT(pthread_timedjoin_np);
    int rc = real_pthread_timedjoin_np(th, ret, abstime);
    if (rc == 0)
        thread_released(th);
    return rc;
}

HT_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clock,
                                   const struct timespec *abstime)
{
    HT_NEXT(pthread_clockjoin_np);
    int rc = real_pthread_clockjoin_np(th, ret, clock, abstime);
    if (rc == 0)
        thread_released(th);
    return rc;
}

HT_EXPORT int pthread_detach(pthread_t th)
{
    HT_NEXT(pthread_detach);
    int rc = real_pthread_detach(th);
    if (rc == 0)
        thread_released(th);
    return rc;
}

HT_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    HT_NEXT(pthread_create);
    struct start *s = NULL;
    if (atomic_load(&ht_active) && !ht_guard)
        s = ht_mem_alloc(sizeof *s);
    if (!s)
        return real_pthread_create(th, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    int state;
    s->detached = attr && pthread_attr_getdetachstate(attr, &state) == 0 &&
                  state == PTHREAD_CREATE_DETACHED;
    int rc = real_pthread_create(th, attr, thread_start, s);
    if (rc != 0)
        ht_mem_free(s);
    return rc;
}

HT_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    HT_NEXT(pthread_setname_np);
    int rc = real_pthread_setname_np(th, name);
    if (rc == 0 && pthread_equal(th, pthread_self()) && ht_enter()) {
        struct ht_thread *t = ht_thread_get();
        if (t)
            ht_rec_thread_name(t->index, name);
        ht_leave();
    }
    return rc;
}

/* ---- fork -------------------------------------------------------------- */

HT_EXPORT pid_t fork(void)
{
    HT_NEXT(fork);
    int saved = errno; /* our fork handlers write and open: a fork that works keeps errno */
    pid_t pid = real_fork();
    if (pid >= 0)
        errno = saved;
    if (pid > 0 && ht_enter()) {
        ht_rec_simple(HT_REC_FORK, 1, (uint64_t)pid, 0);
        ht_leave();
    } else if (pid == 0) {
        ht_process_set_owner();
    }
    return pid;
}

/* ---- exec -------------------------------------------------------------- */

/* envp plus HEAPTRACE_PARENT_LOG=<our log>, in mmap'd memory (never freed:
 * the exec either replaces us or fails, and then it is a few bytes). */
static char *const *env_with_parent(char *const *envp)
{
    if (!ht_config.follow_exec || !atomic_load(&ht_active) || !envp)
        return envp;
    size_t n = 0;
    while (envp[n])
        n++;
    char **e = ht_mem_alloc((n + 2) * sizeof *e);
    if (!e)
        return envp;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], "HEAPTRACE_PARENT_LOG=", 21) != 0)
            e[k++] = envp[i];
    size_t l = ht_strlcpy(pr.parent_env, "HEAPTRACE_PARENT_LOG=", sizeof pr.parent_env);
    ht_strlcpy(pr.parent_env + l, ht_writer_log_path(), sizeof pr.parent_env - l);
    e[k++] = pr.parent_env;
    e[k] = NULL;
    return e;
}

static void before_exec(const char *path)
{
    if (!owns_log() || !ht_enter())
        return;
    uint8_t buf[HT_VARINT_MAX + 1024];
    size_t n = strnlen(path ? path : "", 1024);
    uint8_t *p = ht_put_uvarint(buf, n);
    memcpy(p, path ? path : "", n);
    ht_rec_raw(HT_REC_EXEC, buf, (size_t)(p - buf) + n);
    ht_leave();
    ht_writer_flush();
    ht_sink_exec_arm();
}

static int after_exec_failed(int rc)
{
    if (owns_log())
        ht_sink_exec_failed();
    return rc;
}

HT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    HT_NEXT(execve);
    before_exec(path);
    return after_exec_failed(real_execve(path, argv, env_with_parent(envp)));
}

HT_EXPORT int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

HT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    HT_NEXT(execvpe);
    before_exec(file);
    return after_exec_failed(real_execvpe(file, argv, env_with_parent(envp)));
}

HT_EXPORT int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* The spawned program is a new image: it learns our log as its parent's. The
 * log needs no flush, since this process goes on. */
HT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    HT_NEXT(posix_spawn);
    return real_posix_spawn(pid, path, fa, attr, argv, env_with_parent(envp));
}

HT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    HT_NEXT(posix_spawnp);
    return real_posix_spawnp(pid, file, fa, attr, argv, env_with_parent(envp));
}

/* ---- _exit ------------------------------------------------------------- */

static HT_NOINLINE void finish_now(void)
{
    HT_MARK_PROGRAM_SP();
    if (owns_log())
        ht_writer_finish(HT_END_UNDERSCORE_EXIT);
}

HT_EXPORT void _exit(int status)
{
    HT_NEXT(_exit);
    finish_now();
    real__exit(status);
    __builtin_unreachable();
}

HT_EXPORT void _Exit(int status)
{
    HT_NEXT(_Exit);
    finish_now();
    real__Exit(status);
    __builtin_unreachable();
}

/* ---- dlopen / dlclose -------------------------------------------------- */

/*
 * Tail call on purpose: glibc's dlopen uses its return address to find the
 * caller's RUNPATH and namespace, so nothing may run after the real call
 * (see ht_modules_dirty in modules.c for how the new module is noticed).
 */
HT_EXPORT __attribute__((optimize("O2", "omit-frame-pointer"))) void *
dlopen(const char *file, int mode)
{
    HT_NEXT(dlopen);
    atomic_store(&ht_modules_dirty, 1);
    return real_dlopen(file, mode);
}

HT_EXPORT int dlclose(void *handle)
{
    HT_NEXT(dlclose);
    int rc = real_dlclose(handle);
    if (ht_enter()) {
        ht_modules_check();
        ht_leave();
    }
    return rc;
}

/* ---- anonymous mmap ---------------------------------------------------- */

HT_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    HT_NEXT(mmap);
    void *p = real_mmap(addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && ht_enter()) {
        ht_rec_mmap(p, len, prot, flags);
        ht_leave();
    }
    return p;
}

HT_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

HT_EXPORT int munmap(void *addr, size_t len)
{
    HT_NEXT(munmap);
    if (ht_enter()) {
        ht_rec_simple(HT_REC_MUNMAP, 2, (uint64_t)(uintptr_t)addr, len);
        ht_leave();
    }
    return real_munmap(addr, len);
}

HT_EXPORT void *mremap(void *old, size_t old_len, size_t len, int flags, ...)
{
    HT_NEXT(mremap);
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) {
        __builtin_va_list ap;
        __builtin_va_start(ap, flags);
        new_addr = __builtin_va_arg(ap, void *);
        __builtin_va_end(ap);
    }
    void *p = real_mremap(old, old_len, len, flags, new_addr);
    if (p != MAP_FAILED && ht_enter()) {
        ht_rec_mremap(old, old_len, p, len);
        ht_leave();
    }
    return p;
}
