/* SPDX-License-Identifier: MIT */
/*
 * runtime.c - measure one command for bench/compare.sh: wall time, and the
 * CPU time (user + sys) of the command and of EVERY process it starts.
 *
 * usage: runtime OUTFILE PROGRAM [ARGS...]
 *
 * Writes one line to OUTFILE:  wall=S cpu=S user=S sys=S maxrss_kb=K status=N
 * and exits with PROGRAM's exit status (128 + signal if it was killed).
 *
 * Tracers run helpers beside the program (heaptrack pipes the program's
 * events through heaptrack_interpret and zstd), so timing only the program,
 * or `/usr/bin/time`'s view of one process, undercounts them.  This process
 * becomes a child subreaper, so helpers that outlive their parent are
 * reparented here, and it reaps until no descendant is left: the
 * RUSAGE_CHILDREN totals then cover the whole tree.  maxrss_kb is the largest
 * single process in the tree (the kernel keeps no sum).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: runtime OUTFILE PROGRAM [ARGS...]\n", stderr);
        return 125;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        fprintf(stderr, "runtime: error: cannot open '%s': %s\n", argv[1], strerror(errno));
        return 125;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        fprintf(stderr, "runtime: warning: no subreaper (%s); orphans go uncounted\n",
                strerror(errno));

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "runtime: error: fork: %s\n", strerror(errno));
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "runtime: error: cannot run '%s': %s\n", argv[2], strerror(errno));
        _exit(127);
    }

    int status = 0, st;
    pid_t w;
    while ((w = waitpid(-1, &st, 0)) > 0 || (w < 0 && errno == EINTR)) {
        if (w == pid)
            status = st;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double user = seconds(ru.ru_utime), sys = seconds(ru.ru_stime);
    int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    fprintf(out, "wall=%.4f cpu=%.4f user=%.4f sys=%.4f maxrss_kb=%ld status=%d\n", wall,
            user + sys, user, sys, ru.ru_maxrss, code);
    fclose(out);
    return code;
}
