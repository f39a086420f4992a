/* SPDX-License-Identifier: MIT */
/* closefrom(3), then fork: the child allocates, writes a file and exits;
 * both logs (the child has its own) must be whole. */
#include <sys/wait.h>

#include "adv.h"

int main(void)
{
    free(adv_marker(100041));
    closefrom(3);
    pid_t pid = fork();
    if (pid == 0) {
        free(adv_marker(100042));
        int fd = adv_write_file(NULL, "child.txt", "child\n");
        printf("child file fd %d\n", fd);
        fflush(stdout);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int fd = open("/dev/null", O_RDONLY);
    printf("child status %d, parent open %d\n", WEXITSTATUS(st), fd);
    free(adv_marker(100043));
    return 0;
}
