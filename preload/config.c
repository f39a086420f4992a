/* SPDX-License-Identifier: MIT */
/*
 * config.c - HEAPTRACE_* environment variables, read once at init.
 *
 * Read with a private getenv over `environ`: no allocation, no locale, usable
 * from inside the first malloc call of the process.
 *
 *   HEAPTRACE_OUT          log path pattern; %p pid, %e program name, %% a '%'
 *                          (default heaptrace.%e.%p.htrace)
 *   HEAPTRACE_DEPTH        frames per stack, 1..256 (default 64)
 *   HEAPTRACE_FOLLOW_EXEC  0: programs this one execs are not traced (default 1)
 *   HEAPTRACE_FOLLOW_FORK  0: forked children are not traced (default 1)
 *   HEAPTRACE_LOGLIST      file to which each traced process appends its log's path
 *   HEAPTRACE_BUFFER_KIB   per-thread event ring (default 4096)
 *   HEAPTRACE_ZSTD_LEVEL   log compression level, 1..19 (default 3)
 *   HEAPTRACE_UNWIND       "libunwind": DWARF unwinding only (default: frame
 *                          pointers where proven, DWARF elsewhere; same stacks)
 *   HEAPTRACE_SNAPSHOTS    0: no heap snapshot (who points at whom) at exit
 *                          (default 1: one when the process ends, however it ends)
 *   HEAPTRACE_SNAPSHOT_INTERVAL    seconds between snapshots of the running program
 *                                  (fractions to the millisecond: 0.25)
 *   HEAPTRACE_SNAPSHOT_EVERY_MARKS a snapshot every N heaptrace_mark calls
 *   HEAPTRACE_SNAPSHOT_SIGNAL      a signal (number, or name such as USR2) that takes one;
 *                                  synchronous and fatal ones refused, with a message
 *   HEAPTRACE_SNAPSHOT_FORK        0: the exit snapshot scanned by the exiting thread, no child
 *   HEAPTRACE_SAMPLE       record only a Poisson sample, one point every SIZE bytes on
 *                          average ("512KiB", "1M", "65536"; K, M, G are powers of 1024);
 *                          0 or unset: every allocation. Turns snapshots off (sample.c)
 *   HEAPTRACE_PARENT_LOG   set by the shim for programs it execs: their parent's log
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ht.h"

extern char **environ;

struct ht_config ht_config;

const char *ht_getenv(const char *name)
{
    size_t n = strlen(name);
    char **env = ht_config_env ? ht_config_env : environ;
    if (!env)
        return NULL;
    for (char **e = env; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static unsigned long env_ulong(const char *name, unsigned long dflt, unsigned long lo,
                               unsigned long hi)
{
    const char *s = ht_getenv(name);
    if (!s || !*s)
        return dflt;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > hi)
            return dflt;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    return v < lo ? lo : v > hi ? hi : v;
}

/* "512KiB", "512K", "512k", "1MiB", "1MB", "65536": bytes; false when not a size. */
static bool parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX >> 31) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    unsigned shift = 0;
    switch (*s) {
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    default: break;
    }
    if (shift && *s == 'i')
        s++;
    if (*s == 'B' || *s == 'b')
        s++;
    if (*s)
        return false;
    *out = v << shift;
    return true;
}

static uint64_t sample_every(void)
{
    const char *s = ht_getenv("HEAPTRACE_SAMPLE");
    uint64_t v = 0;
    if (!s || !*s)
        return 0;
    if (!parse_size(s, &v)) {
        ht_diag("heaptrace: HEAPTRACE_SAMPLE=", s,
                " is not a size (such as 512KiB); recording every allocation");
        return 0;
    }
    return v;
}

/* Unset, empty or "auto": heaptrace chooses. */
static bool env_auto(const char *name)
{
    const char *s = ht_getenv(name);
    return !s || !*s || strcmp(s, "auto") == 0;
}

/* "2", "0.25", "1.5": seconds with up to millisecond precision, as ms; 0 when unset or bad. */
static unsigned long env_millis(const char *name, unsigned long hi_s)
{
    const char *s = ht_getenv(name);
    unsigned long whole = 0, frac = 0, digits = 0;
    bool point = false;
    if (!s)
        return 0;
    for (; *s; s++) {
        if (*s == '.' && !point) {
            point = true;
            continue;
        }
        if (*s < '0' || *s > '9' || whole > hi_s)
            return 0;
        if (!point)
            whole = whole * 10 + (unsigned long)(*s - '0');
        else if (digits < 3) {
            frac = frac * 10 + (unsigned long)(*s - '0');
            digits++;
        }
    }
    while (digits++ < 3)
        frac *= 10;
    return whole > hi_s ? 0 : whole * 1000 + frac;
}

static bool env_bool(const char *name, bool dflt)
{
    const char *s = ht_getenv(name);
    if (!s || !*s)
        return dflt;
    return !(s[0] == '0' || s[0] == 'n' || s[0] == 'N' || s[0] == 'f' || s[0] == 'F');
}

/* "USR2", "SIGUSR2" or "12"; 0 when unset or unknown. */
static int signal_number(const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},   {"WINCH", SIGWINCH},
                 {"PWR", SIGPWR},   {"URG", SIGURG},   {"PROF", SIGPROF}, {"VTALRM", SIGVTALRM},
                 /* named only to be refused by name too */
                 {"SEGV", SIGSEGV}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"ILL", SIGILL},
                 {"TRAP", SIGTRAP}, {"SYS", SIGSYS},   {"KILL", SIGKILL}, {"STOP", SIGSTOP},
                 {"ABRT", SIGABRT}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
                 {"CONT", SIGCONT}};
    if (!s || !*s)
        return 0;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    if (*s >= '0' && *s <= '9') {
        int v = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            v = v * 10 + (*s - '0');
        return *s || v <= 0 || v >= NSIG ? 0 : v;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].sig;
    return 0;
}

/*
 * Signals that cannot take snapshots: synchronous ones (a fault returns to
 * its handler at once: a crashing program would hang instead of dying),
 * ones that end the program by default and that it raises itself (abort),
 * ones no handler can catch, job control, and glibc's own (below SIGRTMIN).
 */
static bool snapshot_signal_refused(int sig)
{
    static const int refused[] = {SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGTRAP, SIGSYS, SIGKILL,
                                  SIGSTOP, SIGABRT, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (sig == refused[i])
            return true;
    return sig > 31 && sig < SIGRTMIN;
}

static int snapshot_signal(void)
{
    const char *s = ht_getenv("HEAPTRACE_SNAPSHOT_SIGNAL");
    int sig = signal_number(s);
    if (s && *s && !sig)
        ht_diag("heaptrace: HEAPTRACE_SNAPSHOT_SIGNAL=", s,
                " is not a signal heaptrace knows; running without a snapshot signal");
    if (sig && snapshot_signal_refused(sig)) {
        ht_diag("heaptrace: HEAPTRACE_SNAPSHOT_SIGNAL=", s,
                " refused: a synchronous or fatal signal cannot take snapshots (pick one the "
                "program does not use, such as USR2); running without a snapshot signal");
        return 0;
    }
    return sig;
}

/*
 * A path as the program starts: a relative one is made absolute now, so a
 * daemon that chdirs to / later (or a fork child of it) still writes where
 * the user asked. Never cut: a path that does not fit is refused (empty).
 */
static void start_path(char *dst, const char *src, const char *var)
{
    dst[0] = '\0';
    if (!src || !*src)
        return;
    size_t n = 0;
    if (src[0] != '/') {
        if (!getcwd(dst, HT_PATH_MAX - 1)) {
            ht_diag("heaptrace: cannot resolve the relative ", var, "; tracing stopped");
            dst[0] = '\0';
            return;
        }
        n = strlen(dst);
        if (n > 1)
            dst[n++] = '/';
    }
    if (n + strlen(src) >= HT_PATH_MAX) {
        ht_diag("heaptrace: ", var, " is longer than PATH_MAX (4095 bytes); tracing stopped");
        dst[0] = '\0';
        return;
    }
    ht_strlcpy(dst + n, src, HT_PATH_MAX - n);
}

void ht_config_read(void)
{
    const char *out = ht_getenv("HEAPTRACE_OUT");
    start_path(ht_config.out_pattern, out && *out ? out : "heaptrace.%e.%p.htrace",
               "HEAPTRACE_OUT");
    start_path(ht_config.loglist, ht_getenv("HEAPTRACE_LOGLIST"), "HEAPTRACE_LOGLIST");
    const char *parent = ht_getenv("HEAPTRACE_PARENT_LOG");
    ht_strlcpy(ht_config.parent_log, parent ? parent : "", sizeof ht_config.parent_log);
    ht_config.depth = (unsigned)env_ulong("HEAPTRACE_DEPTH", 64, 1, HT_MAX_STACK_DEPTH);
    ht_config.follow_exec = env_bool("HEAPTRACE_FOLLOW_EXEC", true);
    ht_config.follow_fork = env_bool("HEAPTRACE_FOLLOW_FORK", true);
    ht_config.snapshots = env_bool("HEAPTRACE_SNAPSHOTS", true);
    ht_config.snapshot_fork = env_bool("HEAPTRACE_SNAPSHOT_FORK", true);
    ht_config.snapshot_interval_ms = env_millis("HEAPTRACE_SNAPSHOT_INTERVAL", 86400);
    ht_config.snapshot_every_marks =
        (unsigned)env_ulong("HEAPTRACE_SNAPSHOT_EVERY_MARKS", 0, 0, 1u << 30);
    ht_config.snapshot_signal = snapshot_signal();
    /* automatic running snapshots (snappolicy.c) unless either is set */
    bool automatic = ht_config.snapshots && env_auto("HEAPTRACE_SNAPSHOT_EVERY_MARKS") &&
                     env_auto("HEAPTRACE_SNAPSHOT_INTERVAL");
    ht_config.snapshot_marks_auto = automatic;
    /* time-spaced ones only in the tree's first process (snappolicy.c) */
    ht_config.snapshot_time_auto = automatic && !ht_config.parent_log[0];
    /* Sampled: snapshots need every block (their graph links blocks we do
     * not record), so there are none; the report says so. */
    ht_sample_every = sample_every();
    if (ht_sample_every) {
        ht_config.snapshots = false;
        ht_config.snapshot_interval_ms = 0;
        ht_config.snapshot_every_marks = 0;
        ht_config.snapshot_signal = 0;
        ht_config.snapshot_marks_auto = ht_config.snapshot_time_auto = false;
    }
    ht_config.ring_kib = (unsigned)env_ulong("HEAPTRACE_BUFFER_KIB", 4096, 64, 1u << 20);
    const char *unwind = ht_getenv("HEAPTRACE_UNWIND");
    ht_config.unwind_libunwind = unwind && strcmp(unwind, "libunwind") == 0;
    ht_config.zstd_level = (unsigned)env_ulong("HEAPTRACE_ZSTD_LEVEL", 3, 1, 19);
}
