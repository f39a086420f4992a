/* SPDX-License-Identifier: MIT */
/*
 * The program closes every descriptor above 2 in one of the ways real ones
 * do ("closefrom", "close_range", "loop": close(3..65535), "dup2": /dev/null
 * dup2'd over every number), then opens its own files and works on: it must
 * get the numbers it gets natively, its files must hold only what it wrote,
 * and the log must keep the events from before the close (marker 100021)
 * and after it (100022, allocated from a deep stack).
 */
#include <sys/resource.h>
#include <sys/syscall.h>

#include "adv.h"

static __attribute__((noinline)) void *deep(int n)
{
    return n ? deep(n - 1) : adv_marker(100022);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "closefrom";
    int first = open("/dev/null", O_RDONLY);
    printf("first open: %d\n", first);
    close(first);
    free(adv_marker(100021));
    if (strcmp(mode, "closefrom") == 0) {
        closefrom(3);
    } else if (strcmp(mode, "close_range") == 0) {
        syscall(SYS_close_range, 3u, ~0u, 0u);
    } else if (strcmp(mode, "loop") == 0) {
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
    } else {
        int null = open("/dev/null", O_RDWR);
        for (int fd = 3; fd < 1024; fd++)
            if (fd != null)
                dup2(null, fd);
        close(null);
    }
    int data = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int out = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("after close: data %d, out %d\n", data, out);
    if (write(data, "data\n", 5) != 5)
        return 1;
    for (int i = 0; i < 200; i++) /* a stack the unwinder must walk */
        free(deep(i % 20));
    if (write(out, "out\n", 4) != 4)
        return 1;
    close(data);
    close(out);
    free(adv_marker(100023));
    printf("done\n");
    return 0;
}
