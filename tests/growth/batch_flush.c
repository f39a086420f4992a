/* SPDX-License-Identifier: MIT */
/* A sawtooth: requests append a 512-byte entry to a batch that is flushed
 * (freed) every 300 requests. Bounded, so not growth. */
#include "scenario.h"

static char *batch[300];
static int nbatch;

static void batch_append(long i)
{
    batch[nbatch] = malloc(512);
    snprintf(batch[nbatch], 512, "entry %ld", i);
    nbatch++;
}

static void batch_flush(void)
{
    for (int k = 0; k < nbatch; k++)
        free(batch[k]);
    nbatch = 0;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    for (long i = 0; i < n; i++) {
        scen_work();
        batch_append(i);
        if (nbatch == 300)
            batch_flush();
        scen_request_done();
    }
    batch_flush();
    printf("batch_flush %ld\n", n);
    return 0;
}
