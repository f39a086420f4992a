/* SPDX-License-Identifier: MIT */
/*
 * target.c - the process to attach to, seen from outside: its libc (where
 * dlopen is), the code ranges where a stopped thread may hold a libc lock,
 * and why the kernel refuses to let us trace it.
 *
 * libc's symbols are read from the file its mapping names, through
 * /proc/PID/root so a process in another mount namespace (a container) is
 * read as it sees itself.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

static bool path_is(const char *path, const char *name)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, name, strlen(name)) == 0;
}

static bool busy_library(const char *path)
{
    static const char *const names[] = {"libc.so", "libc-",        "ld-linux",    "ld-",
                                        "libjemalloc", "libtcmalloc", "libmimalloc", "libpthread"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (path_is(path, names[i]))
            return true;
    return false;
}

/* Reads one maps file into t (libc, our library, the busy ranges). */
static bool read_maps(struct target *t, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == EACCES || errno == EPERM) /* the same rules as ptrace's */
            target_explain_refusal(t->pid, EPERM, err, cap);
        else
            snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    char line[4096 + 128];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off;
        char perms[8];
        int name_at = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &off, &name_at) < 4)
            continue;
        char *name = name_at ? line + name_at : line + strlen(line);
        name[strcspn(name, "\n")] = '\0';
        if (!*name || *name == '[')
            continue;
        if (strstr(name, "libheaptrace"))
            t->has_heaptrace = true;
        if (path_is(name, "libc.so.") && off == 0 && !t->libc_path[0]) {
            snprintf(t->libc_path, sizeof t->libc_path, "%s", name);
            t->libc_bias = lo; /* libc's first PT_LOAD has p_vaddr 0 */
        }
        if (perms[2] == 'x' && busy_library(name) && t->nbusy < TARGET_MAX_RANGES) {
            t->busy_lo[t->nbusy] = lo;
            t->busy_hi[t->nbusy++] = hi;
        }
    }
    fclose(f);
    return true;
}

bool target_open(struct target *t, pid_t pid, char *err, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->pid = pid;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "no process %d", (int)pid);
        return false;
    }
    if (fgets(t->comm, sizeof t->comm, f))
        t->comm[strcspn(t->comm, "\n")] = '\0';
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    if (!read_maps(t, path, err, cap))
        return false;
    /* a first thread that ended with pthread_exit shows no mappings: ask a live one */
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = t->libc_path[0] ? NULL : opendir(path);
    struct dirent *de;
    while (d && !t->libc_path[0] && (de = readdir(d))) {
        char task_maps[320];
        if (de->d_name[0] == '.')
            continue;
        snprintf(task_maps, sizeof task_maps, "/proc/%d/task/%s/maps", (int)pid, de->d_name);
        read_maps(t, task_maps, err, cap);
    }
    if (d)
        closedir(d);
    if (!t->libc_path[0]) {
        snprintf(err, cap, "process %d (%s) has no libc.so.6 mapped (a static program?)",
                 (int)pid, t->comm);
        return false;
    }
    return true;
}

uint64_t target_libc_symbol(const struct target *t, const char *name)
{
    char path[4096 + 32];
    snprintf(path, sizeof path, "/proc/%d/root%s", (int)t->pid, t->libc_path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && (fd = open(t->libc_path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    uint64_t found = 0;
    Elf_Scn *scn = NULL;
    while (e && !found && (scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
                GELF_ST_TYPE(sym.st_info) != STT_FUNC)
                continue;
            const char *s = elf_strptr(e, sh.sh_link, sym.st_name);
            if (s && strcmp(s, name) == 0) {
                found = t->libc_bias + sym.st_value;
                break;
            }
        }
    }
    if (e)
        elf_end(e);
    close(fd);
    return found;
}

bool target_ip_busy(const struct target *t, uint64_t ip)
{
    for (size_t i = 0; i < t->nbusy; i++)
        if (ip >= t->busy_lo[i] && ip < t->busy_hi[i])
            return true;
    return false;
}

static long read_long_file(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* A number from /proc/PID/status ("Uid:" gives the real uid), or -1. */
static long status_field(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

void target_explain_refusal(pid_t pid, int err, char *msg, size_t cap)
{
    if (err == ESRCH) {
        snprintf(msg, cap, "no process %d", (int)pid);
        return;
    }
    if (err != EPERM) {
        snprintf(msg, cap, "cannot trace process %d: %s", (int)pid, strerror(err));
        return;
    }
    long scope = read_long_file("/proc/sys/kernel/yama/ptrace_scope");
    long tracer = status_field(pid, "TracerPid:");
    if (tracer > 0) {
        snprintf(msg, cap, "process %d is already traced by process %ld (a debugger, strace?)",
                 (int)pid, tracer);
        return;
    }
    long uid = status_field(pid, "Uid:");
    bool root = geteuid() == 0;
    if (uid >= 0 && (uid_t)uid != getuid() && !root)
        snprintf(msg, cap,
                 "process %d belongs to uid %ld and you are uid %d: only its own user (or root) "
                 "may attach",
                 (int)pid, uid, (int)getuid());
    else if (scope == 3)
        snprintf(msg, cap,
                 "ptrace is disabled on this machine (/proc/sys/kernel/yama/ptrace_scope is 3, "
                 "which only a reboot lifts)");
    else if (scope == 2 && !root)
        snprintf(msg, cap,
                 "/proc/sys/kernel/yama/ptrace_scope is 2: only root (CAP_SYS_PTRACE) may "
                 "attach; run heaptrace attach with sudo");
    else if (scope == 1 && !root)
        snprintf(msg, cap,
                 "/proc/sys/kernel/yama/ptrace_scope is 1: a process may only be attached by "
                 "its ancestors; run heaptrace attach with sudo, or allow it for everyone "
                 "until reboot with: sudo sysctl kernel.yama.ptrace_scope=0");
    else
        snprintf(msg, cap,
                 "the kernel refused to let us trace process %d (it may be set-uid, marked "
                 "not dumpable, or already traced by a debugger; see /proc/%d/status, TracerPid)",
                 (int)pid, (int)pid);
}
