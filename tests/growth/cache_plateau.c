/* SPDX-License-Identifier: MIT */
/* A cache that fills and then plateaus: request i looks up key i % K with
 * K = 30% of the requests; misses insert 1 KiB, so the cache stops growing
 * after the first 30% of the run. Not a leak. */
#include "scenario.h"

static char **cache;
static long ncache;

static void cache_insert(long key)
{
    cache[key] = malloc(1024);
    memset(cache[key], (int)key, 1024);
    ncache++;
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000), k = n * 3 / 10 + 1;
    cache = calloc((size_t)k, sizeof(*cache));
    for (long i = 0; i < n; i++) {
        scen_work();
        long key = i % k;
        if (!cache[key])
            cache_insert(key);
        scen_sink += (uint64_t)cache[key][0];
        scen_request_done();
    }
    for (long i = 0; i < k; i++)
        free(cache[i]);
    free(cache);
    printf("cache_plateau %ld %ld\n", n, ncache);
    return 0;
}
