/* SPDX-License-Identifier: MIT */
/*
 * slow_leak.c - one steady request loop for the detection curve
 * (bench/detection.sh) and the slow-leak and decoy tests: a 1,000-entry
 * cache with random replacement and per-request temporaries, plus
 *   --leak-every K   keep one block every K requests in the global `kept`
 *                    (first at a random phase), never freed: the slow leak
 *   --leak-size B    its size (default 64)
 *   --decoy KIND     one steady pattern that must not be called growth
 *                    (--list prints the kinds)
 *   --series B       append B bytes per request to a time series whose one
 *                    buffer doubles by realloc (growth inside one block)
 *   --vector B       the same, the way std::vector grows: a new buffer twice
 *                    as large, copy, free the old one
 *   --requests N     (default 200000)  --seed S (default: $SCEN_SEED or 1)
 *   --marks          heaptrace_mark() after every request (or SCEN_MARKS=1)
 * Everything random comes from the seed: a run is repeatable.
 */
#include "scenario.h"

#include <math.h>

static long nreq, req;

static double urand(void)
{
    return (double)(scen_rand() >> 11) / 9007199254740992.0;
}

static long rand_below(long n)
{
    return n > 0 ? (long)(scen_rand() % (uint64_t)n) : 0;
}

/* A size log-uniform in [lo, hi]. */
static size_t log_size(double lo, double hi)
{
    return (size_t)(lo * pow(hi / lo, urand()));
}

/* A key of a Zipf(1)-like law over [0, n): log-uniform ranks. */
static long zipf_key(long n)
{
    long k = (long)pow((double)n + 1, urand()) - 1;
    return k < n ? k : n - 1;
}

static void *xmalloc_fill(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    memset(p, 0x5a, n);
    return p;
}

/* ----------------------------------------------------- the steady base */

#define CACHE_N 1000
static void *cache[CACHE_N];

static void cache_put(void)
{
    long slot = rand_below(CACHE_N);
    free(cache[slot]);
    cache[slot] = xmalloc_fill(32 + (size_t)rand_below(224));
}

static void request_temporaries(void)
{
    for (int i = 0; i < 2; i++) {
        size_t n = 16 + (size_t)rand_below(512);
        unsigned char *p = xmalloc_fill(n);
        scen_sink += p[n / 2];
        free(p);
    }
}

/* ------------------------------------------------------------ the leak */

#define KEPT_MAX (1 << 18)
void *kept[KEPT_MAX]; /* global: the holder a report should name */
static long nkept;

static void keep_block(size_t size)
{
    if (nkept == KEPT_MAX)
        return;
    kept[nkept] = malloc(size);
    if (!kept[nkept])
        abort();
    memset(kept[nkept++], 7, size);
}

/* ------------------------------------------- growth inside one block */

static char *series;
static size_t series_len, series_cap;

static void series_append(size_t b)
{
    if (series_len + b > series_cap) {
        series_cap = series_cap ? 2 * series_cap : 256;
        while (series_cap < series_len + b)
            series_cap *= 2;
        series = realloc(series, series_cap);
        if (!series)
            abort();
    }
    memset(series + series_len, 1, b);
    series_len += b;
}

static char *vec;
static size_t vec_len, vec_cap;

static void vector_push(size_t b)
{
    if (vec_len + b > vec_cap) {
        size_t cap = vec_cap ? 2 * vec_cap : 256;
        while (cap < vec_len + b)
            cap *= 2;
        char *n = malloc(cap);
        if (!n)
            abort();
        if (vec_len)
            memcpy(n, vec, vec_len);
        free(vec);
        vec = n;
        vec_cap = cap;
    }
    memset(vec + vec_len, 2, b);
    vec_len += b;
}

/* ------------------------------------------------------------- decoys */

/* A cache that warms up slowly to its bound (one entry at a time, evenly,
 * full at 30..60% of the run), then only hits; with `evict`, a slow random
 * replacement once full. */
static void *slow_cache[128];
static int slow_n;
static double slow_full_at = -1;
static void slow_cache_put(int slot)
{
    free(slow_cache[slot]);
    slow_cache[slot] = xmalloc_fill(64 + (size_t)rand_below(192));
}
static void decoy_cache_slow(int cap, int evict)
{
    if (slow_full_at < 0)
        slow_full_at = 0.3 + 0.3 * urand();
    int slot = -1; /* one call site for both: a site is a whole stack */
    if (slow_n < cap) {
        if ((double)req >= (double)slow_n * slow_full_at * (double)nreq / cap)
            slot = slow_n++;
    } else if (evict && urand() < 1.0 / 1000) {
        slot = (int)rand_below(cap);
    }
    if (slot >= 0)
        slow_cache_put(slot);
}

/* An LRU at capacity, Zipf keys: a miss allocates an entry, evicts the tail. */
struct lru_node {
    long key;
    struct lru_node *prev, *next;
    char payload[];
};
static struct lru_node **lru_index, *lru_head, *lru_tail;
static long lru_count;
static void lru_unlink(struct lru_node *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        lru_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        lru_tail = e->prev;
}
static void lru_front(struct lru_node *e)
{
    e->prev = NULL;
    e->next = lru_head;
    if (lru_head)
        lru_head->prev = e;
    lru_head = e;
    if (!lru_tail)
        lru_tail = e;
}
static void decoy_lru(long cap, long keys)
{
    if (!lru_index)
        lru_index = calloc((size_t)keys, sizeof(*lru_index));
    long k = zipf_key(keys);
    struct lru_node *e = lru_index[k];
    if (e) {
        lru_unlink(e);
        lru_front(e);
        return;
    }
    if (lru_count == cap) {
        struct lru_node *t = lru_tail;
        lru_unlink(t);
        lru_index[t->key] = NULL;
        free(t);
        lru_count--;
    }
    e = xmalloc_fill(sizeof(*e) + 32 + (size_t)rand_below(256));
    e->key = k;
    lru_index[k] = e;
    lru_front(e);
    lru_count++;
}

/* An object pool: demand per request, objects from a free list (allocated
 * only when it is empty, never freed); `burst`: rare large demands. */
static void *pool_free[512];
static int pool_nfree;
static void decoy_pool(int burst)
{
    void *held[512];
    int need = 1 + (int)rand_below(12) + (int)rand_below(12);
    if (burst && urand() < 1e-4)
        need = 100 + (int)rand_below(300);
    for (int i = 0; i < need; i++)
        held[i] = pool_nfree ? pool_free[--pool_nfree] : xmalloc_fill(128);
    for (int i = 0; i < need; i++)
        pool_free[pool_nfree++] = held[i];
}

/* Work items in flight for random durations, recycled through a free list. */
struct item {
    long due;
    struct item *next;
};
static struct item *inflight, *item_free;
static void decoy_freelist(void)
{
    for (struct item **p = &inflight; *p;) {
        if ((*p)->due <= req) {
            struct item *d = *p;
            *p = d->next;
            d->next = item_free;
            item_free = d;
        } else {
            p = &(*p)->next;
        }
    }
    if (urand() < 0.2) {
        struct item *it = item_free;
        if (it)
            item_free = it->next;
        else
            it = xmalloc_fill(96);
        it->due = req + 1 + (long)(-50.0 * log(1 - urand()));
        it->next = inflight;
        inflight = it;
    }
}

/* An arena reset per request: chunks kept (`keep`) or freed but the first. */
struct chunk {
    struct chunk *next;
    size_t used;
    char mem[4096];
};
static struct chunk *arena;
static void decoy_arena(int keep)
{
    size_t want = log_size(64, 20000), got = 0;
    struct chunk *c = arena, *prev = NULL;
    while (got < want) {
        if (!c) {
            c = xmalloc_fill(sizeof(*c));
            c->next = NULL;
            if (prev)
                prev->next = c;
            else
                arena = c;
        }
        c->used = 4096;
        got += 4096;
        prev = c;
        c = c->next;
    }
    if (!keep && arena) {
        for (struct chunk *k = arena->next, *n; k; k = n) {
            n = k->next;
            free(k);
        }
        arena->next = NULL;
    }
}

/* A buffer realloc'd to the largest request seen (`pow2`: rounded up). */
static char *maxbuf;
static size_t maxbuf_cap;
static void decoy_maxbuf(int pow2)
{
    size_t want = log_size(64, 65536);
    if (pow2) {
        size_t p = 64;
        while (p < want)
            p *= 2;
        want = p;
    }
    if (want > maxbuf_cap) {
        maxbuf = realloc(maxbuf, want);
        if (!maxbuf)
            abort();
        maxbuf_cap = want;
    }
    memset(maxbuf, 3, want < 256 ? want : 256);
}

/* Log buffers that rotate: 4 x 16 KiB, the oldest freed when one fills. */
static char *logs[4];
static size_t log_used;
static int log_cur;
static void decoy_logrotate(void)
{
    size_t line = 40 + (size_t)rand_below(80);
    if (!logs[log_cur] || log_used + line > 16384) {
        log_cur = (log_cur + 1) % 4;
        free(logs[log_cur]);
        logs[log_cur] = xmalloc_fill(16384);
        log_used = 0;
    }
    memset(logs[log_cur] + log_used, 'x', line);
    log_used += line;
}

/* The last 512 log lines, one block each. */
static char *ring[512];
static long ring_pos;
static void decoy_logring(void)
{
    long s = ring_pos++ % 512;
    free(ring[s]);
    ring[s] = xmalloc_fill(40 + (size_t)rand_below(120));
}

/* Singletons initialized lazily, each at a random request: at one site
 * (a registry) or each at its own. */
#define NSINGLE 6
static void *single[NSINGLE];
static long single_at[NSINGLE];
static void *singleton_get(int k)
{
    if (!single[k])
        single[k] = xmalloc_fill(64 + 64 * (size_t)k);
    return single[k];
}
static void *config_get(void) { return singleton_get(0); }
static void *s_a(void) { static void *p; return p ? p : (p = xmalloc_fill(200)); }
static void *s_b(void) { static void *p; return p ? p : (p = xmalloc_fill(300)); }
static void *s_c(void) { static void *p; return p ? p : (p = xmalloc_fill(400)); }
static void *s_d(void) { static void *p; return p ? p : (p = xmalloc_fill(500)); }
static void *s_e(void) { static void *p; return p ? p : (p = xmalloc_fill(600)); }
static void *s_f(void) { static void *p; return p ? p : (p = xmalloc_fill(700)); }
static void decoy_singleton(int own_sites)
{
    if (req == 0)
        for (int k = 0; k < NSINGLE; k++)
            single_at[k] = rand_below(nreq);
    void *(*const own[NSINGLE])(void) = {s_a, s_b, s_c, s_d, s_e, s_f};
    for (int k = 0; k < NSINGLE; k++)
        if (req >= single_at[k])
            scen_sink += (uintptr_t)(own_sites ? own[k]() : k ? singleton_get(k) : config_get());
}

/* A collected heap: objects pile up until a threshold, then a collection
 * frees most of them (a sawtooth; `teeth`: how many over the run). */
static void **gc_objs;
static long gc_n, gc_cap;
static void decoy_gc(long teeth)
{
    long limit = teeth ? nreq * 2 / teeth : 4000;
    if (!gc_objs) {
        gc_cap = limit + 16;
        gc_objs = calloc((size_t)gc_cap, sizeof(*gc_objs));
    }
    gc_objs[gc_n++] = xmalloc_fill(48 + (size_t)rand_below(200));
    if (urand() < 0.5)
        gc_objs[gc_n++] = xmalloc_fill(48);
    if (gc_n >= limit) {
        long w = 0;
        for (long i = 0; i < gc_n; i++) {
            if (urand() < 0.05)
                gc_objs[w++] = gc_objs[i];
            else
                free(gc_objs[i]);
        }
        gc_n = w;
    }
}

/* A batch flushed every 500 requests. */
static void *batch[600];
static int batch_n;
static void decoy_batch(void)
{
    batch[batch_n++] = xmalloc_fill(100 + (size_t)rand_below(400));
    if (batch_n == 500) {
        while (batch_n)
            free(batch[--batch_n]);
    }
}

/* Sessions that end after a random time: exponential, or Pareto capped. */
struct session {
    long end;
    struct session *next;
};
static struct session *sessions;
static void decoy_sessions(int heavy)
{
    for (struct session **p = &sessions; *p;) {
        if ((*p)->end <= req) {
            struct session *d = *p;
            *p = d->next;
            free(d);
        } else {
            p = &(*p)->next;
        }
    }
    double rate = heavy ? 0.01 : 0.1;
    if (urand() < rate) {
        double len = heavy ? 100.0 / pow(1 - urand(), 1 / 1.5) : -2000.0 * log(1 - urand());
        if (heavy && len > 0.1 * (double)nreq)
            len = 0.1 * (double)nreq;
        struct session *s = xmalloc_fill(sizeof(*s) + 200);
        s->end = req + 1 + (long)len;
        s->next = sessions;
        sessions = s;
    }
}

/* An open-addressing table at a steady size: inserts and deletes, its slot
 * array rebuilt (same size) when tombstones pile up. */
static long *tab;
static long tab_live, tab_dead;
#define TAB_N 4096
static void decoy_hashtab(void)
{
    if (!tab)
        tab = calloc(TAB_N, sizeof(*tab));
    long k = 1 + rand_below(1 << 20);
    if (tab_live < 1500) {
        long i = k % TAB_N;
        while (tab[i] > 0)
            i = (i + 1) % TAB_N;
        if (tab[i] < 0)
            tab_dead--;
        tab[i] = k;
        tab_live++;
    }
    long j = rand_below(TAB_N);
    if (tab[j] > 0 && urand() < 0.6) {
        tab[j] = -1;
        tab_live--;
        tab_dead++;
    }
    if (tab_dead > 1500) {
        long *n = calloc(TAB_N, sizeof(*n));
        for (long i = 0; i < TAB_N; i++)
            if (tab[i] > 0) {
                long p = tab[i] % TAB_N;
                while (n[p])
                    p = (p + 1) % TAB_N;
                n[p] = tab[i];
            }
        free(tab);
        tab = n;
        tab_dead = 0;
    }
}

/* Interned strings from a bounded vocabulary (Zipf): new words get rarer. */
static char *words[500];
static void decoy_intern(void)
{
    long k = zipf_key(500);
    if (!words[k])
        words[k] = xmalloc_fill(16 + (size_t)(k % 48));
}

/* Timers with delays of 1..5000 requests, freed when they fire. */
struct timer {
    long due;
    struct timer *next;
};
static struct timer *wheel[64];
static void decoy_timers(void)
{
    struct timer **p = &wheel[req % 64];
    while (*p) {
        if ((*p)->due <= req) {
            struct timer *d = *p;
            *p = d->next;
            free(d);
        } else {
            p = &(*p)->next;
        }
    }
    if (urand() < 0.3) {
        struct timer *t = xmalloc_fill(sizeof(*t) + 64);
        t->due = req + 1 + rand_below(5000);
        t->next = wheel[t->due % 64];
        wheel[t->due % 64] = t;
    }
}

/* A vector cleared per request: capacity grows to the largest request. */
static char *vc;
static size_t vc_cap;
static void decoy_vecclear(void)
{
    size_t n = log_size(16, 16384);
    if (n > vc_cap) {
        size_t cap = vc_cap ? vc_cap : 16;
        while (cap < n)
            cap *= 2;
        char *b = xmalloc_fill(cap);
        free(vc);
        vc = b;
        vc_cap = cap;
    }
    memset(vc, 4, n);
}

/* A queue that drains: bursts of producers, one consumer. */
struct qnode {
    struct qnode *next;
    char data[56];
};
static struct qnode *qhead, *qtail;
static long qlen;
static void decoy_queue(void)
{
    int add = urand() < 0.04 ? 1 + (int)rand_below(40) : 0; /* 0.82 a request */
    for (int i = 0; i < add; i++) {
        struct qnode *q = xmalloc_fill(sizeof(*q));
        q->next = NULL;
        if (qtail)
            qtail->next = q;
        else
            qhead = q;
        qtail = q;
        qlen++;
    }
    if (qhead) {
        struct qnode *q = qhead;
        qhead = q->next;
        if (!qhead)
            qtail = NULL;
        free(q);
        qlen--;
    }
}

struct decoy {
    const char *name, *what;
    void (*run)(int arg);
    int arg;
};
static void d_none(int a) { (void)a; }
static void d_cache_slow(int a) { decoy_cache_slow(a ? 128 : 64, a); }
static void d_lru(int a) { a ? decoy_lru(2000, 100000) : decoy_lru(256, 4096); }
static void d_pool(int a) { decoy_pool(a); }
static void d_freelist(int a) { (void)a; decoy_freelist(); }
static void d_arena(int a) { decoy_arena(a); }
static void d_maxbuf(int a) { decoy_maxbuf(a); }
static void d_logrotate(int a) { (void)a; decoy_logrotate(); }
static void d_logring(int a) { (void)a; decoy_logring(); }
static void d_singleton(int a) { decoy_singleton(a); }
static void d_gc(int a) { decoy_gc(a); }
static void d_batch(int a) { (void)a; decoy_batch(); }
static void d_sessions(int a) { decoy_sessions(a); }
static void d_hashtab(int a) { (void)a; decoy_hashtab(); }
static void d_intern(int a) { (void)a; decoy_intern(); }
static void d_timers(int a) { (void)a; decoy_timers(); }
static void d_vecclear(int a) { (void)a; decoy_vecclear(); }
static void d_queue(int a) { (void)a; decoy_queue(); }

static const struct decoy decoys[] = {
    {"none", "the base loop only", d_none, 0},
    {"cache_warm", "64 entries filled evenly until 30-60% of the run, then hits", d_cache_slow, 0},
    {"cache_warm_evict", "128 entries filled slowly, then 1 random replacement per 1000 requests",
     d_cache_slow, 1},
    {"lru", "LRU of 256 entries at capacity, Zipf keys over 4096", d_lru, 0},
    {"lru_big", "LRU of 2000 entries at capacity, Zipf keys over 100000", d_lru, 1},
    {"pool", "object pool at its high-water mark (2..24 objects a request)", d_pool, 0},
    {"pool_burst", "object pool with rare bursts of 100..400 objects", d_pool, 1},
    {"freelist", "items in flight ~50 requests, recycled through a free list", d_freelist, 0},
    {"arena", "arena reset per request, its 4 KiB chunks kept", d_arena, 1},
    {"arena_free", "arena reset per request, all chunks but one freed", d_arena, 0},
    {"maxbuf", "a buffer realloc'd to the largest request seen", d_maxbuf, 0},
    {"maxbuf_pow2", "the same, rounded up to a power of two", d_maxbuf, 1},
    {"logrotate", "4 log buffers of 16 KiB, the oldest freed when one fills", d_logrotate, 0},
    {"logring", "the last 512 log lines, one block each", d_logring, 0},
    {"singleton", "6 singletons at one site, each first used at a random request",
     d_singleton, 0},
    {"singleton_sites", "6 singletons at their own sites, at random requests", d_singleton, 1},
    {"gc", "a collected heap: a collection every 4000 objects (sawtooth)", d_gc, 0},
    {"gc_slow", "a collected heap with 3 teeth over the run", d_gc, 3},
    {"batch", "a batch freed every 500 requests", d_batch, 0},
    {"sessions", "sessions of exponential length (mean 2000 requests)", d_sessions, 0},
    {"sessions_heavy", "sessions of Pareto length, capped at 10% of the run", d_sessions, 1},
    {"hashtab", "open-addressing table at a steady size, rebuilt for tombstones", d_hashtab, 0},
    {"intern", "strings interned from a 500-word vocabulary (Zipf)", d_intern, 0},
    {"timers", "timers of 1..5000 requests, freed when they fire", d_timers, 0},
    {"vecclear", "a vector cleared per request, capacity grown to the largest", d_vecclear, 0},
    {"queue", "a queue filled in bursts and drained one a request", d_queue, 0},
};
#define NDECOYS (sizeof(decoys) / sizeof(decoys[0]))

static int usage(void)
{
    fputs("usage: slow_leak [--requests N] [--leak-every K] [--leak-size B] [--decoy KIND]\n"
          "                 [--series B] [--vector B] [--seed S] [--marks] [--list]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    long leak_every = 0, series_b = 0, vector_b = 0, seed = 0;
    size_t leak_size = 64;
    const struct decoy *d = &decoys[0];
    const char *s = getenv("SCEN_SEED");
    seed = s ? atol(s) + 1 : 1;
    scen_init(1, argv, 0); /* marks and jitter from the environment */
    nreq = 200000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--marks") == 0) {
            scen_marks = 1;
            continue;
        }
        if (strcmp(a, "--list") == 0) {
            for (size_t k = 0; k < NDECOYS; k++)
                printf("%-17s %s\n", decoys[k].name, decoys[k].what);
            return 0;
        }
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "--requests") == 0)
            nreq = atol(v);
        else if (strcmp(a, "--leak-every") == 0)
            leak_every = atol(v);
        else if (strcmp(a, "--leak-size") == 0)
            leak_size = (size_t)atol(v);
        else if (strcmp(a, "--series") == 0)
            series_b = atol(v);
        else if (strcmp(a, "--vector") == 0)
            vector_b = atol(v);
        else if (strcmp(a, "--seed") == 0)
            seed = atol(v);
        else if (strcmp(a, "--decoy") == 0) {
            size_t k = 0;
            while (k < NDECOYS && strcmp(decoys[k].name, v) != 0)
                k++;
            if (k == NDECOYS) {
                fprintf(stderr, "slow_leak: unknown decoy '%s' (see --list)\n", v);
                return 2;
            }
            d = &decoys[k];
        } else {
            return usage();
        }
    }
    if (nreq <= 0)
        return usage();
    scen_rng ^= (uint64_t)seed * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 8; i++)
        scen_rand();
    long phase = leak_every > 0 ? rand_below(leak_every) : 0;
    for (req = 0; req < nreq; req++) {
        request_temporaries();
        if (urand() < 0.5)
            cache_put();
        d->run(d->arg);
        if (leak_every > 0 && req % leak_every == phase)
            keep_block(leak_size);
        if (series_b > 0)
            series_append((size_t)series_b);
        if (vector_b > 0)
            vector_push((size_t)vector_b);
        scen_request_done();
    }
    printf("slow_leak %ld requests, %ld kept, decoy %s\n", nreq, nkept, d->name);
    return 0;
}
