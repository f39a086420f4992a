/* SPDX-License-Identifier: MIT */
/*
 * remote.h - one thread of another process, stopped with ptrace at a point
 * where it holds no libc lock, made to call functions and then let go
 * exactly as it was.
 */
#ifndef HT_ATTACH_REMOTE_H
#define HT_ATTACH_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "target.h"

struct remote {
    pid_t tid;
    bool seized, stopped;
    struct user_regs_struct regs; /* as the thread was stopped: put back at the end */
    uint8_t xstate[16384];        /* its FPU/SSE/AVX state, the same */
    size_t xstate_len;
};

/* PTRACE_SEIZE; 0 or an errno. */
int remote_seize(struct remote *r, pid_t tid);
/* Stops the thread where it holds no lock of libc's or the allocator's:
 * blocked in an idle system call, in the program's own code, or just back
 * from a system call that no allocator makes with its lock held. Gives up
 * after timeout_ms. False with a message in err. */
bool remote_stop_safely(struct remote *r, const struct target *t, unsigned timeout_ms, char *err,
                        size_t cap);
/* Calls fn(args...) in the stopped thread on its own stack (below the red
 * zone) and returns its result in *ret. Signals the program receives
 * meanwhile are delivered. False with a message when the thread died or
 * crashed (its registers are put back in both cases we can). */
bool remote_call(struct remote *r, uint64_t fn, const uint64_t *args, int nargs, uint64_t *ret,
                 char *err, size_t cap);
/* Copies to and from the process's memory. */
bool remote_write(pid_t pid, uint64_t addr, const void *buf, size_t n);
bool remote_read(pid_t pid, uint64_t addr, void *buf, size_t n);
/* Puts the registers back and detaches: the thread goes on where it was. */
void remote_release(struct remote *r);

#endif /* HT_ATTACH_REMOTE_H */
