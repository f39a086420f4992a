/* SPDX-License-Identifier: MIT */
/*
 * Opens /dev/null until it cannot, under the limit it was given (the driver
 * runs it under `ulimit -n 16` and `ulimit -n 5`) or, with "self16", after
 * lowering RLIMIT_NOFILE to 16 itself: the count and the first number must
 * be what they are natively.
 */
#include <errno.h>
#include <sys/resource.h>

#include "adv.h"

int main(int argc, char **argv)
{
    free(adv_marker(100071));
    if (argc > 1 && strcmp(argv[1], "self16") == 0) {
        struct rlimit rl = {16, 16};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 2;
    }
    int first = -1, count = 0, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
        if (first < 0)
            first = fd;
        count++;
    }
    printf("opened %d, first %d, then %s\n", count, first, strerror(errno));
    free(adv_marker(100072));
    return 0;
}
