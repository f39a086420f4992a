/* SPDX-License-Identifier: MIT */
/*
 * snapread.c - how a snapshot reads the program's memory without dying on a
 * page it may not read (PROT_NONE, a file mapping past its end).
 *
 * In-process (the exit snapshot) with process_vm_readv on ourselves: a bad
 * page is an EFAULT, never a signal in the host. But in the cloned child of
 * a running snapshot every page is shared copy-on-write with the program,
 * and pinning such a page for process_vm_readv makes the kernel unshare it:
 * the child copied the whole heap (measured on 1 GB: 3.7 s of system time,
 * and 1 GB more memory). So the child, which owns its signal handlers and
 * has no other thread, reads with plain loads under a SIGSEGV/SIGBUS handler
 * that jumps back out of the copy: a fault ends the read there, as EFAULT
 * would.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ht.h"

#define PAGE 4096u

static struct snapread_state {
    bool direct; /* in the child: plain loads, faults caught */
    sigjmp_buf fault_jump;
    volatile sig_atomic_t reading;
    volatile size_t copied; /* survives the jump */
    int pagemap_fd;         /* /proc/self/pagemap, opened by pagemap_pid */
    pid_t pagemap_pid;
} rd = {.pagemap_fd = -1};

static void on_fault(int sig, siginfo_t *info, void *uc)
{
    (void)info;
    (void)uc;
    if (rd.reading)
        siglongjmp(rd.fault_jump, 1);
    /* Not a read of ours: a bug in the scan. End the child (the writer sees
     * its end and logs an empty snapshot); no libc call, not even our own
     * signal() interposer, which may need the loader in this clone. */
    syscall(SYS_exit_group, HT_EXIT_SIGNAL_BASE + sig);
}

/* In the child, once: plain loads from now on (see above). */
void ht_snap_read_direct(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* the jump skips the handler's return */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
        return;
    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    sigprocmask(SIG_UNBLOCK, &faults, NULL); /* the writer thread we came from blocks all */
    rd.direct = true;
}

/*
 * Pages never touched (neither in memory nor swapped out, says
 * /proc/self/pagemap) hold zeros: reading them would only fault in the zero
 * page, one fault per 4 KiB, for nothing a pointer could be in. glibc's
 * iconv_open mallocs 32 KiB of which a conversion touches a few hundred
 * bytes; calloc'd tables are sparse: such heaps scan several times faster.
 */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_PAGES 128 /* pagemap entries read at once: 512 KiB of address space */

static int pagemap(void)
{
    pid_t me = getpid(); /* the cloned child needs its own */
    if (rd.pagemap_pid != me) {
        if (rd.pagemap_fd >= 0)
            close(rd.pagemap_fd);
        rd.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        rd.pagemap_pid = me;
    }
    return rd.pagemap_fd;
}

static size_t read_pages(uint8_t *dst, uint64_t addr, size_t len);

/* The pagemap entries of [first, last] (pages) into ent; false when there is
 * no pagemap here or the range is too long for one read. */
static bool pagemap_entries(uint64_t first, uint64_t last, uint64_t *ent)
{
    int fd = pagemap();
    size_t n = (size_t)(last - first + 1);
    return fd >= 0 && last - first < PM_PAGES &&
           pread(fd, ent, n * 8, (off_t)(first * 8)) == (ssize_t)(n * 8);
}

/* Reading in place saves the copy (on 1 GB, a tenth of the child's time);
 * a page never touched would be faulted in as a zero page, so a range with
 * one is left to ht_snap_read. A PROT_NONE page faults: the jump ends
 * visit, and the caller reads a copy, which skips that page. */
bool ht_snap_in_place(uint64_t addr, size_t len, void (*visit)(void *ctx, const uint8_t *p),
                      void *ctx)
{
    uint64_t first = addr / PAGE, last = (addr + len - 1) / PAGE;
    uint64_t ent[PM_PAGES];
    if (!rd.direct || !len || !pagemap_entries(first, last, ent))
        return false;
    for (uint64_t pg = first; pg <= last; pg++)
        if (!(ent[pg - first] & (PM_PRESENT | PM_SWAPPED)))
            return false;
    if (sigsetjmp(rd.fault_jump, 0)) {
        rd.reading = 0;
        return false;
    }
    rd.reading = 1;
    visit(ctx, (const uint8_t *)(uintptr_t)addr);
    rd.reading = 0;
    return true;
}

size_t ht_snap_read(uint8_t *dst, uint64_t addr, size_t len)
{
    uint64_t first = addr / PAGE, last = (addr + len - 1) / PAGE;
    uint64_t ent[PM_PAGES];
    /* only in the cloned child: the program itself never sees our descriptor */
    if (!rd.direct || len < 2 * PAGE || !pagemap_entries(first, last, ent))
        return read_pages(dst, addr, len);
    size_t done = 0;
    while (done < len) { /* runs of touched pages are read, untouched ones zeroed */
        uint64_t page = (addr + done) / PAGE;
        bool touched = ent[page - first] & (PM_PRESENT | PM_SWAPPED);
        size_t run = 0;
        while (done + run < len && (bool)(ent[(addr + done + run) / PAGE - first] &
                                          (PM_PRESENT | PM_SWAPPED)) == touched) {
            size_t n = PAGE - (size_t)((addr + done + run) % PAGE);
            run += n < len - done - run ? n : len - done - run;
        }
        if (!touched) {
            memset(dst + done, 0, run);
        } else {
            size_t got = read_pages(dst + done, addr + done, run);
            if (got < run)
                return done + got;
        }
        done += run;
    }
    return done;
}

/* Copies [addr, addr + len) to dst; returns how many bytes from the start
 * could be read. */
static size_t read_pages(uint8_t *dst, uint64_t addr, size_t len)
{
    if (!rd.direct) {
        struct iovec local = {dst, len}, remote = {(void *)(uintptr_t)addr, len};
        ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        return r > 0 ? (size_t)r : 0;
    }
    rd.copied = 0;
    if (sigsetjmp(rd.fault_jump, 0)) {
        rd.reading = 0;
        return rd.copied;
    }
    rd.reading = 1;
    while (rd.copied < len) { /* a page at a time: a fault keeps what came before */
        size_t n = PAGE - (size_t)((addr + rd.copied) % PAGE);
        if (n > len - rd.copied)
            n = len - rd.copied;
        memcpy(dst + rd.copied, (const void *)(uintptr_t)(addr + rd.copied), n);
        rd.copied += n;
    }
    rd.reading = 0;
    return rd.copied;
}
