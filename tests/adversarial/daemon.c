/* SPDX-License-Identifier: MIT */
/*
 * A classic double-fork daemon: fork, setsid, fork, chdir("/"), umask(077),
 * close every descriptor, stdin/stdout/stderr to /dev/null; it allocates,
 * writes its result into DIR (argv[1]) and then DIR/done. Its log must be
 * whole, and a relative HEAPTRACE_OUT must land where the program started,
 * not in /.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include "adv.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    free(adv_marker(100081));
    pid_t pid = fork();
    if (pid > 0) {
        int st = 0;
        waitpid(pid, &st, 0);
        printf("first child status %d\n", WEXITSTATUS(st));
        return 0;
    }
    setsid();
    if (fork() > 0)
        _exit(0);
    if (chdir("/") != 0)
        _exit(1);
    umask(077);
    closefrom(0);
    int null = open("/dev/null", O_RDWR); /* 0 */
    if (null != 0 || dup2(null, 1) != 1 || dup2(null, 2) != 2)
        _exit(1);
    free(adv_marker(100082));
    char text[64];
    int fd = open("/dev/null", O_RDONLY);
    snprintf(text, sizeof text, "daemon's next descriptor: %d\n", fd);
    adv_write_file(argv[1], "daemon.out", text);
    free(adv_marker(100083));
    adv_write_file(argv[1], "done", "");
    return 0;
}
