/* SPDX-License-Identifier: MIT */
/* Step-wise growth: every 40th request keeps a 16 KiB snapshot of its state. */
#include "scenario.h"

static void **snapshots;
static long nsnapshots;

static void save_snapshot(void)
{
    snapshots = realloc(snapshots, (size_t)(nsnapshots + 1) * sizeof(*snapshots));
    snapshots[nsnapshots] = malloc(16384);
    memset(snapshots[nsnapshots], 1, 16384);
    nsnapshots++;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    for (long i = 0; i < n; i++) {
        scen_work();
        if (i % 40 == 39)
            save_snapshot();
        scen_request_done();
    }
    for (long i = 0; i < nsnapshots; i++)
        free(snapshots[i]);
    free(snapshots);
    printf("step_leak %ld\n", n);
    return 0;
}
