/* SPDX-License-Identifier: MIT */
/*
 * target.h - what heaptrace-attach learns about the process it attaches to
 * from /proc and from its libraries' ELF files, without touching it.
 */
#ifndef HT_ATTACH_TARGET_H
#define HT_ATTACH_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TARGET_MAX_RANGES 32

struct target {
    pid_t pid;
    char comm[64];
    char libc_path[4096];
    uint64_t libc_bias; /* libc's load address (p_vaddr 0 lands here) */
    /* executable ranges of libc, the loader and known allocators: a thread
     * stopped in one may hold a lock our dlopen needs */
    uint64_t busy_lo[TARGET_MAX_RANGES], busy_hi[TARGET_MAX_RANGES];
    size_t nbusy;
    bool has_heaptrace; /* libheaptrace.so is mapped already */
};

/* Reads /proc/PID/{comm,maps}; false with a message in err when it cannot. */
bool target_open(struct target *t, pid_t pid, char *err, size_t cap);
/* The run-time address of libc's symbol `name`, or 0. */
uint64_t target_libc_symbol(const struct target *t, const char *name);
/* True when ip lies in libc, the loader or an allocator. */
bool target_ip_busy(const struct target *t, uint64_t ip);
/* Why PTRACE_SEIZE of pid failed with errno err, as advice for a user. */
void target_explain_refusal(pid_t pid, int err, char *msg, size_t cap);

#endif /* HT_ATTACH_TARGET_H */
