/* SPDX-License-Identifier: MIT */
/*
 * The process's only thread ends with a raw exit system call, which runs no
 * exit handler and no destructor: "main" (syscall(SYS_exit, 3)), "strict"
 * (after prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT), where exit_group would
 * be killed: only read, write, exit and sigreturn are left). Natively the
 * process ends at once with that status.
 */
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "adv.h"

int main(int argc, char **argv)
{
    free(adv_marker(100011));
    printf("exiting raw\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "strict") == 0) {
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
            return 2;
        syscall(SYS_exit, 0);
    }
    syscall(SYS_exit, 3);
    return 1;
}
