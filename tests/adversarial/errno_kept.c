/* SPDX-License-Identifier: MIT */
/*
 * errno_kept.c - errno after each interposed call, the call succeeding and
 * failing. Before each call errno is set to 4321; the line printed is the
 * call's result (ok/fail) and errno after it. Traced, every line must be
 * the native one: a tracer's own work must not show through errno.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <malloc.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int at_main;
static volatile size_t huge = SIZE_MAX; /* not a constant the compiler checks */

static void show(const char *what, int ok)
{
    int e = errno;
    printf("%-28s %s errno=%d\n", what, ok ? "ok  " : "fail", e);
}

#define CALL(what, expr) (errno = 4321, show(what, (expr)))

static int first_in_thread;

static void *thread_fn(void *arg)
{
    errno = 4321;
    void *p = malloc(10); /* the thread's first: it registers */
    first_in_thread = errno;
    free(p);
    return arg;
}

int main(void)
{
    errno = 4321;
    void *p = malloc(1000), *q = NULL; /* the program's first call: before any printf */
    int first = errno;
    free(p);
    printf("errno at main               %d\n", at_main);
    printf("first malloc                errno=%d\n", first);
    CALL("malloc", (p = malloc(100)) != NULL);
    CALL("free", (free(p), 1));
    CALL("malloc(SIZE_MAX)", malloc(huge) != NULL);
    CALL("calloc", (p = calloc(10, 10)) != NULL);
    CALL("calloc overflow", calloc(huge, 2) != NULL);
    CALL("realloc grow", (p = realloc(p, 100000)) != NULL);
    CALL("realloc shrink", (p = realloc(p, 10)) != NULL);
    CALL("realloc(SIZE_MAX)", realloc(p, huge) != NULL);
    CALL("reallocarray overflow", reallocarray(p, huge, 2) != NULL);
    CALL("realloc(p, 0)", realloc(p, 0) == NULL);
    CALL("realloc(NULL)", (p = realloc(NULL, 50)) != NULL);
    CALL("free again", (free(p), 1));
    CALL("posix_memalign", posix_memalign(&q, 64, 1000) == 0);
    CALL("free aligned", (free(q), 1));
    CALL("posix_memalign(3)", posix_memalign(&q, 3, 1000) == 0);
    CALL("aligned_alloc", (p = aligned_alloc(64, 128)) != NULL);
    CALL("memalign", (q = memalign(32, 100)) != NULL);
    free(p);
    free(q);
    CALL("valloc", (p = valloc(100)) != NULL);
    free(p);
    CALL("strdup", (p = strdup("a string")) != NULL);
    free(p);
    CALL("mmap anon", (p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) != MAP_FAILED);
    CALL("mremap", (p = mremap(p, 8192, 16384, MREMAP_MAYMOVE)) != MAP_FAILED);
    CALL("munmap", munmap(p, 16384) == 0);
    CALL("mmap bad", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
    iconv_t cd;
    CALL("iconv_open", (cd = iconv_open("UTF-16", "UTF-8")) != (iconv_t)-1);
    CALL("iconv_close", iconv_close(cd) == 0);
    CALL("iconv_open bad", iconv_open("NO-SUCH", "UTF-8") != (iconv_t)-1);
    FILE *f;
    CALL("fopen", (f = fopen("/dev/null", "r")) != NULL);
    CALL("fclose", fclose(f) == 0);
    CALL("fopen missing", fopen("/no/such/file", "r") != NULL);
    DIR *d;
    CALL("opendir", (d = opendir("/")) != NULL);
    CALL("closedir", closedir(d) == 0);
    CALL("opendir missing", opendir("/no/such/dir") != NULL);
    locale_t l;
    CALL("newlocale", (l = newlocale(LC_ALL_MASK, "C", (locale_t)0)) != (locale_t)0);
    CALL("freelocale", (freelocale(l), 1));
    regex_t re;
    CALL("regcomp", regcomp(&re, "a+b", REG_EXTENDED) == 0);
    CALL("regfree", (regfree(&re), 1));
    void *h;
    CALL("dlopen", (h = dlopen("libm.so.6", RTLD_NOW)) != NULL);
    CALL("dlclose", dlclose(h) == 0);
    CALL("dlopen missing", dlopen("libno-such-lib.so", RTLD_NOW) != NULL);
    pthread_t t;
    CALL("pthread_create", pthread_create(&t, NULL, thread_fn, NULL) == 0);
    CALL("pthread_join", pthread_join(t, NULL) == 0);
    printf("first malloc in a thread    errno=%d\n", first_in_thread);
    fflush(stdout);
    errno = 4321;
    pid_t pid = fork();
    int fork_errno = errno;
    if (pid == 0) {
        printf("fork in the child           errno=%d\n", fork_errno);
        CALL("malloc in the child", (p = malloc(77)) != NULL);
        fflush(stdout);
        _exit(0);
    }
    int st;
    CALL("waitpid", waitpid(pid, &st, 0) == pid); /* the child's lines come first */
    printf("fork in the parent          %s errno=%d\n", pid > 0 ? "ok  " : "fail", fork_errno);
    return 0;
}

__attribute__((constructor)) static void before_main(void)
{
    at_main = errno;
}
