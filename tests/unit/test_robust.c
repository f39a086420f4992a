/* SPDX-License-Identifier: MIT */
/*
 * test_robust.c - runs the real heaptrace-report binary (argv[1]) on
 * truncated and bit-flipped logs and checks it exits 0 or 2, with a message
 * for 2, and is never killed by a signal. argv[2...] are extra options
 * (e.g. --dump); by default the normal report runs. A log of GC records
 * (lb_gc_sample) gets the same treatment.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "logbuild.h"

/* Every cut of the small logs, or every other one in the sanitized build
 * (whose analyzer takes ~40 ms to start: about 600 runs fewer). */
#ifndef HT_ROBUST_CUT_STRIDE
#define HT_ROBUST_CUT_STRIDE 1
#endif

static char dir[] = "/tmp/ht-robust-XXXXXX";
static char **extra;
static int nextra;

/* Runs the analyzer on `path`; @return its wait status, stderr size in *errlen. */
static int run(const char *path, long *errlen)
{
    char errpath[128];
    snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(devnull, 1);
        dup2(err, 2);
        char *args[16];
        int n = 0;
        args[n++] = extra[-1];
        for (int i = 0; i < nextra && n < 14; i++)
            args[n++] = extra[i];
        args[n++] = (char *)path;
        args[n] = NULL;
        execv(args[0], args);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    FILE *f = fopen(errpath, "r");
    fseek(f, 0, SEEK_END);
    *errlen = ftell(f);
    fclose(f);
    return status;
}

static void check_run(const char *what, size_t at, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/log.htrace", dir);
    lb_write_bytes(path, p, n);
    long errlen;
    int st = run(path, &errlen);
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "%s at %zu: killed by signal %d\n", what, at, WTERMSIG(st));
        check_failures++;
        return;
    }
    int code = WEXITSTATUS(st);
    if (code != 0 && code != 2) {
        fprintf(stderr, "%s at %zu: exit status %d\n", what, at, code);
        check_failures++;
    }
    if (code == 2 && errlen == 0) {
        fprintf(stderr, "%s at %zu: exit 2 without a message\n", what, at);
        check_failures++;
    }
}

/* n single-bit flips in src's decompressed stream, each recompressed and run. */
static void stream_flips(const struct logbuild *src, int n, const char *what)
{
    for (int i = 0; i < n; i++) {
        struct logbuild f = *src;
        f.buf = malloc(src->len);
        memcpy(f.buf, src->buf, src->len);
        size_t bit = (size_t)rand() % (src->len * 8);
        f.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        size_t fn;
        uint8_t *fz = lb_compress(&f, 1, &fn);
        check_run(what, bit, fz, fn);
        free(fz);
        free(f.buf);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || !mkdtemp(dir))
        return 2;
    extra = argv + 2;
    nextra = argc - 2;

    struct logbuild small, large;
    size_t sn, ln;
    lb_sample(&small, 8, 1);
    uint8_t *sz = lb_compress(&small, 2, &sn);
    lb_sample(&large, 40000, 1);
    uint8_t *lz = lb_compress(&large, 4, &ln);

    check_run("complete small log", 0, sz, sn);
    check_run("complete large log", 0, lz, ln);
    for (size_t cut = 0; cut < sn; cut += HT_ROBUST_CUT_STRIDE)
        check_run("small log cut", cut, sz, cut);
    for (size_t cut = 4096; cut < ln; cut += 4096)
        check_run("large log cut", cut, lz, cut);

    srand(12345);
    uint8_t *copy = malloc(ln);
    for (int i = 0; i < 150; i++) {
        const uint8_t *src = i % 2 ? lz : sz;
        size_t n = i % 2 ? ln : sn;
        memcpy(copy, src, n);
        size_t bit = (size_t)rand() % (n * 8);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        check_run("bit flip", bit, copy, n);
    }
    stream_flips(&small, 150, "stream bit flip");
    /* and in a snapshot's records (EDGES, EDGES_AT, EDGES_DELTA, ROOTS, END with scan_ns) */
    struct logbuild leaks;
    lb_leak_sample(&leaks);
    stream_flips(&leaks, 150, "snapshot stream bit flip");
    lb_release(&leaks);
    /* GC records (format.h 0x70-0x76): every cut, and bit flips in the stream */
    struct logbuild gc;
    lb_gc_sample(&gc);
    size_t gn;
    uint8_t *gz = lb_compress(&gc, 1, &gn);
    check_run("complete gc log", 0, gz, gn);
    for (size_t cut = 0; cut < gn; cut += HT_ROBUST_CUT_STRIDE)
        check_run("gc log cut", cut, gz, cut);
    stream_flips(&gc, 60, "gc stream bit flip");
    free(gz);
    lb_release(&gc);
    free(copy);
    free(sz);
    free(lz);
    lb_release(&small);
    lb_release(&large);

    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        check_failures++;
    return check_exit();
}
