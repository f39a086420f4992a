/* SPDX-License-Identifier: MIT */
/* A bounded LRU: 128 entries of random size (64..2111 B) for random keys;
 * a miss evicts the least recently used entry. Live bytes jitter, never grow. */
#include "scenario.h"

#define CAP 128
struct entry {
    long key;
    uint64_t used;
    char *val;
};
static struct entry lru[CAP];

static void lru_put(long key, uint64_t now)
{
    int victim = 0;
    for (int i = 0; i < CAP; i++) {
        if (lru[i].key == key) {
            lru[i].used = now;
            return;
        }
        if (lru[i].used < lru[victim].used)
            victim = i;
    }
    free(lru[victim].val);
    size_t n = 64 + scen_rand() % 2048;
    lru[victim] = (struct entry){key, now, malloc(n)};
    memset(lru[victim].val, 0, n);
}

int main(int argc, char **argv)
{
    long n = scen_init(argc, argv, 3000);
    const char *seed = getenv("SCEN_SEED");
    if (seed)
        scen_rng += (uint64_t)atol(seed) * 2654435761u;
    for (int i = 0; i < CAP; i++)
        lru[i].key = -1;
    for (long i = 0; i < n; i++) {
        scen_work();
        lru_put((long)(scen_rand() % 1000), (uint64_t)i + 1);
        scen_request_done();
    }
    for (int i = 0; i < CAP; i++)
        free(lru[i].val);
    printf("lru_bounded %ld\n", n);
    return 0;
}
