/* SPDX-License-Identifier: MIT */
/* Growth through realloc: every request appends a 63-byte line to an
 * in-memory log that is never truncated; the buffer grows by 4 KiB when full
 * (a step every 65 requests, all at one realloc site). A buffer that grows
 * by half each time rises in too few steps to call: docs/CI.md, Limits. */
#include "scenario.h"

static char *log_buf;
static size_t log_len, log_cap;

static void log_append(long i)
{
    if (log_len + 64 > log_cap) {
        log_cap += 4096;
        log_buf = realloc(log_buf, log_cap);
    }
    snprintf(log_buf + log_len, 64, "request %-55ld", i);
    log_len += 63;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    for (long i = 0; i < n; i++) {
        scen_work();
        log_append(i);
        scen_request_done();
    }
    printf("realloc_log %ld %zu\n", n, log_len);
    free(log_buf);
    return 0;
}
