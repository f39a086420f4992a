/* SPDX-License-Identifier: MIT */
/*
 * leak.h - helpers shared by the leak-shape programs of tests/leaks/.
 *
 * Every program ends with a known mix of valgrind's leak classes. Two rules
 * keep the mix deterministic under both tools:
 *  - no stdio: glibc's stdio buffers are heap blocks that valgrind frees at
 *    exit (__libc_freeres) and heaptrace sees as still reachable; say() uses
 *    write(2);
 *  - no stale copies: a block meant to be lost is made in a function of its
 *    own (its frame is gone when it returns), and scrub() then zeroes the
 *    dead stack below the caller, where exit-time code of either tool could
 *    otherwise find an old copy of the pointer in an uninitialised slot.
 */
#ifndef LEAK_H
#define LEAK_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone, used))

static inline void say(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    ssize_t r = write(1, s, n);
    (void)r;
}

/* Zero 64 KiB of stack below the caller, and the scratch registers. */
static NOINLINE void scrub(void)
{
    volatile char buf[65536];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = 0;
    __asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
                     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d"
                     ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                         "memory");
}

/* A block the compiler cannot see through. */
static NOINLINE void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p && n)
        _exit(99);
    if (p)
        memset(p, 0, n);
    return p;
}

#include <dlfcn.h>
#include <pthread.h>

/* A second thread that is still running at exit: start_parked() returns
 * once fn has called park_forever() (fn's frames stay live, blocked). */
static volatile int leak_parked;
static inline void park_forever(void)
{
    __atomic_store_n(&leak_parked, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
}
static inline void start_parked(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL))
        _exit(98);
    while (!__atomic_load_n(&leak_parked, __ATOMIC_SEQ_CST))
        usleep(1000);
}

/* dlopen argv[1] and return its symbol NAME (exits 2..4 on failure). The
 * library is opened as "./NAME" from its own directory: ld.so keeps a copy of
 * the name it was given, and a full path would make the leak counts depend on
 * where the tree is built. */
static inline void *open_lib_sym(int argc, char **argv, const char *name, void **handle)
{
    if (argc < 2)
        _exit(2);
    char path[4096];
    size_t len = strlen(argv[1]);
    if (len >= sizeof path - 2)
        _exit(2);
    memcpy(path, argv[1], len + 1);
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        if (chdir(path[0] ? path : "/") != 0)
            _exit(3);
        memmove(path + 2, slash + 1, strlen(slash + 1) + 1);
        path[0] = '.';
        path[1] = '/';
    }
    *handle = dlopen(path, RTLD_NOW);
    if (!*handle)
        _exit(3);
    void *sym = dlsym(*handle, name);
    if (!sym)
        _exit(4);
    return sym;
}
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

/* Runs fn on a new thread and joins it (exits 97 on failure). */
static inline void run_joined(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) || pthread_join(t, NULL))
        _exit(97);
}

/* The calling thread's kernel id, for wait_gone(). */
static inline pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }

/* Waits until thread `tid` of this process has exited (the kernel no longer
 * knows it): a detached or unjoined thread is then truly gone. */
static inline void wait_gone(pid_t tid)
{
    while (syscall(SYS_tgkill, getpid(), tid, 0) == 0 || errno != ESRCH)
        usleep(1000);
}
#include <sys/wait.h>

/* fork_exec, vfork_exec, spawn_child: the image started with the argument
 * "child" loses 210 bytes and keeps 90 in a global. */
static void *volatile leak_child_keep __attribute__((used));
static NOINLINE void child_image(void)
{
    (void)xmalloc(210);
    leak_child_keep = xmalloc(90);
    scrub();
}

/* Waits for child pid, says name; the child's exit status (1 if it did not
 * exit normally). */
static inline int await_child(pid_t pid, const char *name)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 1;
    scrub();
    say(name);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
#endif
