/* SPDX-License-Identifier: MIT */
/*
 * seccomp_sandbox.c - a program that sandboxes itself once started, then
 * allocates, prints and exits. Modes (argv[1]):
 *   kill    a filter that kills the process on clone, clone3, fork, vfork,
 *           openat and pipe2 (SECCOMP_RET_KILL_PROCESS)
 *   tsync   the same filter on every thread (SECCOMP_FILTER_FLAG_TSYNC)
 *   eperm   a filter that fails those calls with EPERM instead
 *   strict  a thread enters SECCOMP_MODE_STRICT (read, write, _exit,
 *           sigreturn), allocates and frees, writes, and leaves with _exit
 * A worker thread started before the filter allocates throughout. Natively
 * each exits 0; traced, it must too (no snapshot may clone or open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int stop;
static void *kept[64];

static void *worker(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        free(kept[i % 64]);
        kept[i % 64] = malloc(24 + i % 300);
    }
    return NULL;
}

#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, action)

static int install_filter(unsigned action, unsigned flags)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        DENY(SYS_clone), DENY(SYS_clone3), DENY(SYS_fork), DENY(SYS_vfork), DENY(SYS_openat),
        DENY(SYS_pipe2),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    if (flags)
        return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void *strict_thread(void *arg)
{
    (void)arg;
    char *early = malloc(100); /* the arena is set up before the sandbox */
    free(early);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
        syscall(SYS_exit, 1);
    for (int i = 0; i < 100; i++) {
        char *p = malloc(40 + i);
        if (!p)
            syscall(SYS_exit, 2);
        memset(p, 'x', 40);
        free(p);
    }
    const char msg[] = "strict thread done\n";
    if (write(1, msg, sizeof msg - 1) != (ssize_t)sizeof msg - 1)
        syscall(SYS_exit, 3);
    syscall(SYS_exit, 0);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "kill";
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t w;
    pthread_create(&w, NULL, worker, NULL);
    int rc = 0;
    if (strcmp(mode, "strict") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, strict_thread, NULL);
        pthread_join(t, NULL);
    } else if (strcmp(mode, "eperm") == 0) {
        rc = install_filter(SECCOMP_RET_ERRNO | EPERM, 0);
    } else {
        rc = install_filter(SECCOMP_RET_KILL_PROCESS,
                            strcmp(mode, "tsync") == 0 ? SECCOMP_FILTER_FLAG_TSYNC : 0);
    }
    if (rc != 0) {
        printf("filter: %s\n", strerror(errno));
        return 1;
    }
    char *blocks[100];
    for (int i = 0; i < 100; i++)
        blocks[i] = malloc(64 + i);
    for (int i = 0; i < 100; i += 2)
        free(blocks[i]);
    if (strcmp(mode, "eperm") == 0) { /* the sandbox answers, as the program expects */
        errno = 0;
        int p[2];
        printf("pipe2 %d %s\n", pipe2(p, 0), strerror(errno));
    }
    atomic_store(&stop, 1);
    pthread_join(w, NULL);
    printf("%s: sandboxed and done\n", mode);
    return 0; /* the exit snapshot runs here, inside the sandbox */
}
