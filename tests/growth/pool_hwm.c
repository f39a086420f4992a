/* SPDX-License-Identifier: MIT */
/* A buffer pool that grows to its high-water mark and stays there: a burst in
 * the first 10% of the run needs 64 buffers of 4 KiB; afterwards requests need
 * 1..8, served from the pool's free list. Not a leak. */
#include "scenario.h"

#define MAXBUF 256
static void *free_list[MAXBUF];
static int nfree, nallocated;

static void *pool_get(void)
{
    if (nfree)
        return free_list[--nfree];
    nallocated++;
    return malloc(4096);
}

static void pool_put(void *p)
{
    free_list[nfree++] = p;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    void *held[64];
    for (long i = 0; i < n; i++) {
        scen_work();
        int need = i < n / 10 ? 8 + (int)(i * 56 / (n / 10 + 1)) : 1 + (int)(scen_rand() % 8);
        for (int k = 0; k < need; k++) {
            held[k] = pool_get();
            memset(held[k], k, 64);
        }
        for (int k = 0; k < need; k++)
            pool_put(held[k]);
        scen_request_done();
    }
    while (nfree)
        free(free_list[--nfree]);
    printf("pool_hwm %ld %d\n", n, nallocated);
    return 0;
}
