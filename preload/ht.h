/* SPDX-License-Identifier: MIT */
/*
 * ht.h - internals shared by the files of libheaptrace.so.
 *
 * The shim lives inside arbitrary processes, so every non-static symbol here
 * carries the ht_ prefix and hidden visibility (the whole library is built
 * with -fvisibility=hidden; only the interposed functions are exported).
 *
 * Threading model: each application thread appends events to its own
 * single-producer ring (struct ht_thread); one writer thread drains all rings
 * in global ticket order, encodes the log records and compresses them. The
 * hot path takes no lock, calls nothing that allocates through the host's
 * malloc, and never blocks except briefly when its own ring is full.
 */
#ifndef HT_SHIM_H
#define HT_SHIM_H

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exitcode.h"
#include "format.h"
#include "sampling.h"

#define HT_LIKELY(x) __builtin_expect(!!(x), 1)
#define HT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HT_NOINLINE __attribute__((noinline))
#define HT_ALWAYS_INLINE inline __attribute__((always_inline))
#define HT_COLD __attribute__((cold, noinline))
#define HT_EXPORT __attribute__((visibility("default")))

/* ---- the real functions (real.c) -------------------------------------- */

struct ht_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
};
extern struct ht_real ht_real;

/* Resolves ht_real with dlsym(RTLD_NEXT); safe to call more than once. */
void ht_real_resolve(void);
/* Looks up one more symbol of the next object (not during bootstrap). */
void *ht_real_next(const char *name);

/*
 * Every other function we wrap, resolved once at init with the malloc
 * family. Never lazily while tracing: dlsym frees the previous dlerror state
 * (glibc), and a free made inside our own call would be dropped as ours.
 */
#define HT_NEXT_LIST(X)                                                                            \
    X(iconv_open) X(iconv_close) X(fopen) X(fopen64) X(fdopen) X(fmemopen) X(open_memstream)      \
    X(fclose) X(opendir) X(fdopendir) X(closedir) X(newlocale) X(duplocale) X(freelocale)         \
    X(regcomp) X(regfree) X(pthread_create) X(pthread_setname_np) X(fork) X(execve) X(execvpe)    \
    X(pthread_join) X(pthread_tryjoin_np) X(pthread_timedjoin_np) X(pthread_clockjoin_np)         \
    X(pthread_detach)                                                                              \
    X(posix_spawn) X(posix_spawnp) X(_exit) X(_Exit) X(dlopen) X(dlclose) X(mmap) X(munmap)       \
    X(mremap) X(sigaction) X(signal) X(pipe2)
#define HT_NEXT_ENUM(name) HT_NEXT_ID_##name,
enum ht_next_id { HT_NEXT_LIST(HT_NEXT_ENUM) HT_NEXT_COUNT };
extern void *ht_next[HT_NEXT_COUNT];
/* Looks one up now (only before init completes: the process is starting). */
void *ht_next_resolve(enum ht_next_id id);

/* Inside a wrapper: `real_name`, the next object's `name`. */
#define HT_NEXT(name)                                                                              \
    __typeof__(name) *real_##name;                                                                 \
    do {                                                                                           \
        void *sym_ = ht_next[HT_NEXT_ID_##name];                                                   \
        if (HT_UNLIKELY(!sym_))                                                                    \
            sym_ = ht_next_resolve(HT_NEXT_ID_##name);                                             \
        __builtin_memcpy(&real_##name, &sym_, sizeof sym_);                                        \
    } while (0)

/* Bootstrap arena: serves dlsym's own calloc before ht_real is known. */
void *ht_boot_alloc(size_t size, size_t align);
bool ht_boot_owns(const void *p);
size_t ht_boot_size(const void *p);

/* ---- configuration (config.c) ------------------------------------------ */

#define HT_PATH_MAX 4096 /* PATH_MAX: a longer HEAPTRACE_OUT is refused, never cut */

struct ht_config {
    char out_pattern[HT_PATH_MAX]; /* HEAPTRACE_OUT, made absolute at start */
    char loglist[HT_PATH_MAX];     /* HEAPTRACE_LOGLIST, the same */
    char parent_log[HT_PATH_MAX];  /* HEAPTRACE_PARENT_LOG (set by our exec wrappers) */
    unsigned depth;         /* HEAPTRACE_DEPTH, 1..HT_MAX_STACK_DEPTH */
    bool follow_exec;       /* HEAPTRACE_FOLLOW_EXEC */
    bool follow_fork;       /* HEAPTRACE_FOLLOW_FORK */
    unsigned ring_kib;      /* HEAPTRACE_BUFFER_KIB: per-thread ring */
    unsigned zstd_level;    /* HEAPTRACE_ZSTD_LEVEL */
    bool unwind_libunwind;  /* HEAPTRACE_UNWIND=libunwind: no frame-pointer fast path */
    bool snapshots;         /* HEAPTRACE_SNAPSHOTS: heap snapshot at exit */
    bool snapshot_fork;     /* HEAPTRACE_SNAPSHOT_FORK: the exit snapshot scanned by a child */
    unsigned long snapshot_interval_ms; /* HEAPTRACE_SNAPSHOT_INTERVAL, in ms */
    unsigned snapshot_every_marks;   /* HEAPTRACE_SNAPSHOT_EVERY_MARKS */
    bool snapshot_marks_auto;        /* ... and _INTERVAL unset or "auto": snappolicy.c */
    bool snapshot_time_auto;
    int snapshot_signal;             /* HEAPTRACE_SNAPSHOT_SIGNAL, 0 = none */
};
extern struct ht_config ht_config;
void ht_config_read(void);
/* getenv without libc's getenv (safe before libc is fully up). */
const char *ht_getenv(const char *name);

/* ---- sampling (sample.c, common/sampling.h) ----------------------------- */

/* HEAPTRACE_SAMPLE in bytes, 0 = every allocation is recorded. Set once at
 * init, before tracing starts; read on every call after. */
extern uint64_t ht_sample_every;
extern __thread struct ht_sampler ht_sampler_tls __attribute__((tls_model("initial-exec")));
#define HT_SAMPLE_FILTER (1u << 16) /* counters in the free filter */
extern _Atomic uint8_t ht_sample_filter[HT_SAMPLE_FILTER];
uint64_t ht_sample_seed(void);
/* A sampled block at p is live: its free must be recorded. */
void ht_sample_mark(const void *p);
/* The writer retired the sampled block at addr. */
void ht_sample_forget(uint64_t addr);

static inline size_t ht_sample_slot(const void *p)
{
    return (size_t)((((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull) >> 48);
}

/* The countdown ran out: seeds a new thread's sampler, draws the next point. */
bool ht_sample_cross(size_t n);

/* Whether an allocation of n bytes is recorded (always when not sampling). */
static inline bool ht_sample_take(size_t n)
{
    uint64_t every = ht_sample_every;
    if (!every)
        return true;
    ht_sampler_tls.left -= (int64_t)n;
    if (HT_LIKELY(ht_sampler_tls.left > 0))
        return false;
    return ht_sample_cross(n);
}

/* False when the free of p certainly needs no record: sampling is on and
 * no sampled block hashes where p does. */
static inline bool ht_sample_maybe(const void *p)
{
    return !ht_sample_every ||
           atomic_load_explicit(&ht_sample_filter[ht_sample_slot(p)], memory_order_relaxed);
}

/* ---- diagnostics (diag.c): write(2) only, no stdio, no malloc ---------- */

void ht_diag(const char *a, const char *b, const char *c);
const char *ht_errname(int err);
/* Minimal formatting into caller buffers. */
size_t ht_fmt_u64(char *buf, uint64_t v);
size_t ht_strlcpy(char *dst, const char *src, size_t cap);

/* ---- mmap-backed memory for the shim's own state (mem.c) --------------- */

void *ht_mem_alloc(size_t size);         /* zeroed; NULL on failure */
void *ht_mem_alloc_huge(size_t size);    /* the same, on huge pages if granted */
void *ht_mem_realloc(void *p, size_t size);
void ht_mem_free(void *p);
/* A table kept for the whole run, made zeroed on first use (by whichever
 * thread gets there first) instead of living in .bss; NULL if out of memory. */
void *ht_mem_once(void *_Atomic *slot, size_t size);
#define HT_MEM_ONCE(slot, size) ((__typeof__(*(slot)))ht_mem_once((void *_Atomic *)(slot), (size)))
void *ht_sys_mmap(size_t len);            /* raw syscall; NULL on failure */
void ht_sys_munmap(void *p, size_t len);

extern _Atomic bool ht_active; /* tracing on: cleared on write error, at the end */
/* 0 = not started, 1 = initializing, 2 = ready, 3 = inert (forward only). */
extern _Atomic int ht_init_state;

/* ---- per-thread state and rings (thread.c) ----------------------------- */

#define HT_STACK_CACHE 4096 /* per-thread direct-mapped cache of sent stacks */

#define HT_TAKING UINT64_MAX

/* The callee-saved registers an API call that waits for a snapshot keeps
 * (shim.c): rbx, rbp, r12, r13, r14, r15 on x86-64. */
#define HT_CALLER_REGS 6

enum ht_thread_state { HT_TS_FREE = 0, HT_TS_LIVE = 1, HT_TS_EXITED = 2 };

struct ht_thread {
    struct ht_thread *next; /* registry: push-only list, never unlinked */
    _Atomic int state;      /* enum ht_thread_state */
    uint32_t index;         /* thread index in the log */
    pid_t tid;
    bool is_writer;         /* the writer's own ring: no SWITCH, no THREAD_START */
    uint32_t owner_depth;   /* nesting of handle constructors */
    uint64_t stack_lo, stack_hi; /* this thread's stack mapping (0 if unknown) */
    uint64_t tp;                 /* its thread pointer: static TLS sits just below */
    /* Filled by the snapshot barrier (snapshot.c) while the thread is parked. */
    _Atomic int parked;          /* 1 while regs and sp below are valid */
    int stw, stw_sig;            /* stw.c's tracer: attach state, a signal to give back */
    uint64_t sp, ip, fp;         /* stack pointer, program counter, frame pointer */
    _Atomic uint64_t program_sp; /* while it waits for a snapshot inside the shim: where the
                                  * program's frames start (ours below hold stale copies) */
    uint64_t caller_regs[HT_CALLER_REGS]; /* ...and its callee-saved registers at the call */
    bool has_caller_regs;
    uint64_t regs[24];
    unsigned nregs;
    struct tail_cache *unwind_tail; /* unwind.c: the cached outermost frames */
    uint8_t *unwind_stack;          /* unwind.c: the stack the unwinder runs on */
    uint64_t ips[HT_MAX_STACK_DEPTH + 16]; /* record.c: the stack being captured */
    char maps_buf[4096];                   /* maps.c: /proc/self/maps, read in pieces */

    /* 0, HT_TAKING while a ticket is being taken, else the unpublished ticket */
    _Alignas(64) _Atomic uint64_t pending;
    _Atomic uint64_t head;            /* bytes produced (producer only) */
    _Atomic uint64_t lost;            /* events dropped (ring full, re-entrancy) */
    uint64_t resv_head;               /* head after the record being written */

    _Alignas(64) _Atomic uint64_t tail; /* bytes consumed (writer only) */

    uint8_t *buf;    /* ring storage, cap bytes, power of two */
    uint64_t cap;
    uint64_t stack_cache[HT_STACK_CACHE]; /* hashes whose frames were sent */
};

/* The global event order: every event of every thread takes the next
 * ticket, so it has a cache line of its own (sizeof is 64): a neighbour
 * the writer writes (its lock was one) would bounce between the cores. */
struct ht_ticket_line {
    _Alignas(64) _Atomic uint64_t next;
};
extern struct ht_ticket_line ht_ticket;
extern struct ht_thread *_Atomic ht_threads;   /* registry head */
extern __thread struct ht_thread *ht_self __attribute__((tls_model("initial-exec")));
extern __thread int ht_guard __attribute__((tls_model("initial-exec")));
/* Set while this thread records an event (not while the writer runs, nor
 * inside a real call we forward): a host event arriving then can only come
 * from a signal handler, and is counted as lost. */
extern __thread int ht_bookkeeping __attribute__((tls_model("initial-exec")));
/* errno as ht_enter found it: ht_leave puts it back, so every interposed
 * call leaves errno exactly as the real call does. */
extern __thread int ht_errno __attribute__((tls_model("initial-exec")));

/* Current thread's state, registering it (and emitting THREAD_START) first. */
struct ht_thread *ht_thread_get(void);
struct ht_thread *ht_thread_register(bool is_writer);
void ht_thread_init_key(void);
/* Called in a fork child: forget every thread but the caller. */
void ht_thread_after_fork_child(void);
/* Writer: retire exited threads whose rings are empty and whose tid is gone. */
void ht_thread_reap(void);

/* ---- the ring record (producer -> writer) ------------------------------ */

enum { HT_EV_PAD = 0xff, HT_EV_NOTHING = 0xfe };
#define HT_EV_RAW 0x80 /* flag in ht_ev.flags: payload bytes follow the fields */

struct ht_ev {
    uint32_t len;   /* bytes of this record, multiple of 8 */
    uint8_t tag;    /* enum ht_record_tag, or HT_EV_PAD / HT_EV_NOTHING */
    uint8_t flags;  /* low 4 bits: number of fields; HT_EV_RAW */
    uint16_t nframes; /* frames following the fields (full stack), else 0 */
    uint64_t ticket;
    uint64_t tsc;
    uint64_t f[];   /* fields, then frames[nframes] or raw bytes (f[n-1] = raw length) */
};

/* Reserves `len` bytes in the caller's ring (waits briefly, then fails). */
struct ht_ev *ht_ring_reserve(struct ht_thread *t, size_t len);
/* Takes the ticket and timestamp and publishes the reserved record. */
void ht_ring_commit(struct ht_thread *t, struct ht_ev *ev);
/* Split commit for calls that must be ordered before the real call. */
void ht_ring_ticket(struct ht_thread *t, struct ht_ev *ev);
void ht_ring_publish(struct ht_thread *t, struct ht_ev *ev);

/* ---- event recording (record.c): one ring record per event ------------ */

void ht_rec_alloc(unsigned fn, void *p, size_t size);
void ht_rec_free(void *p);
void ht_rec_mmap(void *p, size_t len, int prot, int flags);
void ht_rec_mremap(void *old, size_t old_len, void *p, size_t len);
struct ht_ev *ht_rec_realloc_begin(struct ht_thread *t, void *old, size_t size);
void ht_rec_realloc_end(struct ht_thread *t, struct ht_ev *ev, void *result, bool failed);
void ht_rec_simple(uint8_t tag, int nf, uint64_t a, uint64_t b);
void ht_rec_raw(uint8_t tag, const void *bytes, size_t n);
void ht_rec_owner_begin(unsigned kind);
uint64_t ht_rec_fields_stack(uint8_t tag, unsigned nf, const uint64_t *fields);
void ht_rec_modules(void);
void ht_rec_thread_start(struct ht_thread *t);
void ht_rec_thread_name(uint32_t index, const char *name);
uint64_t ht_stack_hash(const uint64_t *ips, size_t n);

/* ---- libgc's allocations (libgc.c) ------------------------------------- */

/* Finds libgc's entry points if it is loaded (at init, and lazily). */
void ht_gc_resolve(void);
/* Writes the GC allocation tallies not yet in the log (guard held). */
void ht_gc_flush(void);
/* In a fork child, frees the spin locks a vanished thread may hold. */
void ht_gc_atfork_child(void);

/* ---- stacks (unwind.c): captured in the program, symbolized offline ---- */

/* Captures the caller's stack into ips (room for max + 16), shim frames
 * dropped; returns the depth. */
size_t ht_stack_capture(uint64_t *ips, unsigned max);
void ht_unwind_init(void);
uint64_t ht_unwind_exit_sp(void); /* the exit code's frame above the loader's finaliser */
/* libunwind's validation pipe: its write end, a number no descriptor can
 * have, and the write to it our syscall() passes on. */
#define HT_FAKE_PIPE_W (0x7fffffff - 14)
long ht_unwind_pipe_write(long fd, const void *addr, size_t n);

/* ---- clocks (clock.c; the tsc inline) ----------------------------------- */

static inline uint64_t ht_now_tsc(void)
{
#if defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#else
    extern uint64_t ht_mono_ns(void);
    return ht_mono_ns();
#endif
}
/* CLOCK_MONOTONIC, and the calling thread's CPU time, in ns. */
uint64_t ht_mono_ns(void);
uint64_t ht_thread_cpu_ns(void);

/* ---- /proc/self/maps (maps.c) ----------------------------------------- */

/* Called per mapping [lo, hi); return false to stop. */
typedef bool ht_maps_fn(void *arg, uint64_t lo, uint64_t hi, bool readable, bool writable);
void ht_maps_each(ht_maps_fn *fn, void *arg);
/* The resident set size in bytes, or 0 (maps.c). */
uint64_t ht_rss_now(void);

/* ---- the log's process (sink.c) ---------------------------------------- */

/* Starts the process that holds the log and opens `want` there (an existing
 * character device as it is, else created O_EXCL|O_NOFOLLOW or the next
 * free name, written to path). False with errno set when it cannot. */
bool ht_sink_start(const char *want, char *path, size_t cap);
/* Hands compressed bytes to the sink; false (*err: why) once the log
 * cannot be written any more. */
bool ht_sink_write(const void *p, size_t n, int *err);
/* Waits until what was handed over is written; false (*err: why) when the
 * sink failed or ended first. */
bool ht_sink_sync(int *err);
/* Waits until all is written, closes the log, and the sink ends. */
void ht_sink_close(void);
void ht_sink_forget(void); /* in a fork child: the parent's sink is not ours */
void ht_sink_note_first_thread(void);
/* Around exec: the sink ends when the exec succeeds. */
void ht_sink_exec_arm(void);
void ht_sink_exec_failed(void);
/* True when every thread of the program has ended and only ours remain;
 * *status: the exit status the process's first thread gave. */
bool ht_program_gone(int *status);
/* /proc/self/<name>, read by the sink (its descriptor, not the program's);
 * with a descriptor of our own where there is no sink (a snapshot child). */
struct ht_proc {
    int fd;
    uint64_t off;
    char name[16];
};
bool ht_proc_open(struct ht_proc *f, const char *name);
long ht_proc_read(struct ht_proc *f, void *buf, size_t n);
void ht_proc_close(struct ht_proc *f);

/* ---- modules (modules.c) ----------------------------------------------- */

/* Encodes the MODULES payload into buf; returns its length (0 on overflow). */
size_t ht_modules_encode(uint8_t *buf, size_t cap);
/* Whether ip lies in the shim's own text (frames to skip). */
extern uint64_t ht_self_lo, ht_self_hi;
static inline bool ht_in_shim(uint64_t ip)
{
    return ip - ht_self_lo < ht_self_hi - ht_self_lo;
}
void ht_modules_init_self(void);
bool ht_modules_check(void);
bool ht_modules_covers(uint64_t ip);
/* Calls fn for each writable PT_LOAD segment of every module (not ours), with
 * the module's index in the MODULES list that ht_modules_encode writes. */
typedef void ht_segment_fn(void *arg, uint32_t module, uint64_t base, uint64_t start,
                           uint64_t len);
void ht_modules_each_writable(ht_segment_fn *fn, void *arg);
/* The static TLS span relative to the thread pointer, [*below, *above) bytes
 * around it (glibc x86-64: blocks below the TCB; the TCB with its
 * pthread_setspecific slots above). */
void ht_modules_tls_span(uint64_t *below, uint64_t *above);
size_t ht_modules_encode_if_changed(uint8_t *buf, size_t cap);

/* ---- live blocks: live.h ---------------------------------------------- */

#include "live.h"

/* ---- record encoding and the compressed log (logenc.c) ----------------- */

/* All of these: the writer thread (or the thread finishing the log), under
 * the writer's lock. */
bool ht_enc_reset(void);  /* a new log: fresh implicit state; false: out of memory */
void ht_enc_begin(void);  /* its clock starts now; magic and version */
/* One ring record into the log; true once END is written (nothing follows). */
bool ht_enc_event(struct ht_thread *t, struct ht_ev *ev);
void ht_enc_record(uint8_t tag, const uint8_t *payload, size_t n); /* as it is */
/* One record now (snapshot.c, stw.c), with a time delta from now when with_dt. */
void ht_writer_put(uint8_t tag, const uint8_t *payload, size_t n, bool with_dt);
void ht_enc_inherited(void); /* a fork child's log: ALLOC INHERITED per live block */
void ht_enc_modules(void);   /* MODULES now, if the loader's counters moved */
void ht_enc_calibrate(void); /* refreshes the tsc -> ns pair */
void ht_enc_tick(uint64_t now); /* compresses a full buffer, ends an old frame */
void ht_enc_end_frame(void);    /* ends the zstd frame now, if it has data */
/* A write error: one line, tracing stops, no more snapshots. */
void ht_enc_fail(const char *what, int err);
bool ht_enc_failed(void);
bool ht_enc_ended(void); /* END is written */

/* ---- the mmap registry (mapreg.c): the program's anonymous RW mappings -- */

/* The writer, as it encodes MMAP, MUNMAP and MREMAP (page granularity). */
void ht_mapreg_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags);
void ht_mapreg_munmap(uint64_t start, uint64_t len);
void ht_mapreg_mremap(uint64_t old, uint64_t old_len, uint64_t addr, uint64_t len);
/* A snapshot: calls fn for each tracked mapping's part inside [lo, hi). */
typedef void ht_mapreg_fn(void *arg, uint64_t start, uint64_t len);
void ht_mapreg_each_in(uint64_t lo, uint64_t hi, ht_mapreg_fn *fn, void *arg);
bool ht_mapreg_empty(void);
/* heaptrace attach, before tracing starts: memory the program had then (its
 * heap, anonymous mappings), trimmed by later munmaps like the others; a
 * snapshot scans it as roots around the tracked blocks. */
void ht_mapreg_preattach(uint64_t addr, uint64_t len);
void ht_mapreg_each_preattach_in(uint64_t lo, uint64_t hi, ht_mapreg_fn *fn, void *arg);
bool ht_mapreg_preattach_empty(void);

/* ---- naming and opening the log (logopen.c) --------------------------- */

/* Opens this process's log, writes and syncs its first frame; false (with a
 * message, when there is one to give) when it cannot. After ht_enc_reset. */
bool ht_logopen(bool is_fork_child);
const char *ht_writer_log_path(void); /* the log's name (for a child's HEADER) */

/* ---- the writer thread (writer.c): drains the rings into the log ------ */

/* Opens the log for this process and writes its header; false on failure. */
bool ht_writer_open(bool is_fork_child);
void ht_writer_start(void);
/* Drains everything recorded so far, writes END(reason) and closes the log. */
void ht_writer_finish(unsigned reason);
/* Drains everything recorded so far and ends a zstd frame (before exec). */
void ht_writer_flush(void);
void ht_writer_wake(void);
void ht_writer_atfork_prepare(void);
void ht_writer_atfork_parent(void);
void ht_writer_atfork_child(void);
/* For snapdrive.c, under the writer lock: drain all (ending a zstd frame
 * when asked), and drain what is published now (returns how many). */
void ht_writer_drain(bool end_frame);
size_t ht_writer_drain_published(void);

/* ---- a heap snapshot's scan (snapshot.c): edges and roots -------------- */

void ht_snapshot_write(unsigned reason);   /* in this thread: at exit, without a child */
void ht_snapshot_scan_here(uint64_t t0);   /* the same, once begun and parked */
void ht_snapshot_begin(unsigned reason);   /* MODULES + SNAPSHOT_BEGIN */
/* What SNAPSHOT_END says of a scan (all 0 for a child that died). */
struct ht_snap_cost {
    uint64_t edges, roots;
    uint64_t scan_ns, scan_cpu_ns; /* wall and CPU time of the whole scan */
    uint64_t index_cpu_ns;         /* the part of scan_cpu_ns that built the index */
};
void ht_snapshot_end(uint64_t pause_ns, const struct ht_snap_cost *cost);
/* In a cloned child: scan and write EDGES/ROOTS frames into the ring
 * (snapring.h), then CHILD_DONE. */
struct ht_snap_ring;
void ht_snapshot_child(struct ht_snap_ring *ring);
#define HT_SNAP_CHILD_DONE 0xfd /* the child's last frame, never logged: edges:u roots:u
                                  scan_ns:u scan_cpu_ns:u index_cpu_ns:u */
void ht_snapshot_gather_roots(void); /* before cloning: module segments */
void ht_snapshot_user_root(uint64_t start, uint64_t len); /* heaptrace_root() */
/* Set where the program enters the shim to end: the exiting thread's stack is
 * scanned from here up, not from deep inside our own frames. */
extern uint64_t ht_program_sp;
#define HT_MARK_PROGRAM_SP() (ht_program_sp = (uint64_t)__builtin_frame_address(0) + 16)

/* ---- reading our own memory without dying on a bad page (snapread.c) --- */

size_t ht_snap_read(uint8_t *dst, uint64_t addr, size_t len);
void ht_snap_read_direct(void); /* in the child: plain loads, faults caught */
/* In the child, for a range whose every page is touched: calls visit(ctx, p)
 * with p the range itself, read in place; false (visit's work to be thrown
 * away) when it cannot, or when a read in it faulted. */
bool ht_snap_in_place(uint64_t addr, size_t len, void (*visit)(void *ctx, const uint8_t *p),
                      void *ctx);

/* ---- thread parking (stw.c): the other threads stopped for a snapshot -- */

/* Stops every other live thread (ptrace, no signal) and saves its
 * registers; release lets them go on. Caller holds the writer's lock (a
 * thread that cannot be stopped is noted in the log). */
void ht_snapshot_park_threads(void);
void ht_snapshot_release_threads(void);

/* ---- parked threads' frames (snapframes.c) ----------------------------- */

/* A SNAPSHOT_FRAMES record per parked thread, through put. */
void ht_snapshot_frames(void (*put)(void *ctx, uint8_t tag, const uint8_t *payload, size_t n),
                        void *ctx);

/* ---- when running snapshots are taken (snappolicy.c) ------------------- */

/* _mark: true when the mark numbered `mark` (from 1) is to take one; _tick
 * (writer thread): true when one is due in time; _ended (writer thread): a
 * running snapshot is over: how long it held the program and how long its
 * scan took (the bound). */
bool ht_snap_policy_mark(unsigned long mark);
bool ht_snap_policy_tick(uint64_t now);
void ht_snap_policy_forked(void); /* in a forked child: its own schedule */
void ht_snap_policy_ended(uint64_t pause_ns, uint64_t scan_ns);

/* ---- the running-snapshot driver (snapdrive.c): requests, the child ---- */

/* Asks the writer for a snapshot of the running program (reason). */
void ht_snapshot_request(unsigned reason);
/* The same, and waits (up to 10 s) until the snapshot has been taken: the
 * copy is made, the scan may still run. For heaptrace_snapshot() and every
 * Nth mark, whose snapshots must show the heap at that call. program_sp:
 * where the caller's (the program's) frames start; the scan of this
 * thread's stack starts there, above our own frames. caller_regs (NULL:
 * none): its HT_CALLER_REGS callee-saved registers at the call, roots. */
void ht_snapshot_request_wait(unsigned reason, const uint64_t *caller_regs, uint64_t program_sp);
/* Writer thread, under its lock: starts a due snapshot or moves a running
 * one's records into the log. */
void ht_snapdrive_tick(uint64_t now);
/* Starts a snapshot now (child scan); false when no child scans: the
 * snapshot is then written empty, or scanned here when `fallback`. */
bool ht_snapdrive_start(unsigned reason, bool fallback);
void ht_snapdrive_complete(void); /* waits for a running snapshot to end */
void ht_snapdrive_ending(void);   /* the program ends: no snapshot starts after */
void ht_snapdrive_stop(void);     /* no snapshot will come: waiters return */
void ht_snapdrive_forked(void);   /* in a fork child: the parent's one is not ours */

/* ---- entering the shim's bookkeeping ----------------------------------- */

bool ht_not_tracing(void);
extern _Atomic unsigned ht_modules_dirty; /* a dlopen happened: re-snapshot modules */
void ht_modules_refresh(void);

/* True when this call should be recorded; the guard is then held until
 * ht_leave(). The guard covers only our bookkeeping, never a forwarded call. */
static inline bool ht_enter(void)
{
    if (HT_UNLIKELY(ht_guard)) { /* our own work, the writer, or inside a real realloc */
        if (ht_bookkeeping && ht_self) /* a signal handler interrupted us */
            atomic_fetch_add_explicit(&ht_self->lost, 1, memory_order_relaxed);
        return false;
    }
    if (HT_UNLIKELY(atomic_load_explicit(&ht_init_state, memory_order_relaxed) != 2 ||
                    !atomic_load_explicit(&ht_active, memory_order_relaxed)) &&
        ht_not_tracing())
        return false;
    ht_guard = 1;
    ht_bookkeeping = 1;
    ht_errno = errno;
    if (HT_UNLIKELY(atomic_load_explicit(&ht_modules_dirty, memory_order_relaxed)))
        ht_modules_refresh();
    return true;
}

extern __thread unsigned ht_deferred_signals; /* init.c: terminate signals held back */
void ht_signal_resume(void);
void ht_signals_before_strict(void); /* init.c: before seccomp's strict mode */

static inline void ht_leave(void)
{
    errno = ht_errno;
    ht_bookkeeping = 0;
    ht_guard = 0;
    if (HT_UNLIKELY(ht_deferred_signals))
        ht_signal_resume();
}

/* ---- client API entry points (include/heaptrace.h calls them) ---------- */

void heaptrace__mark(const char *label);
void heaptrace__alloc(const void *ptr, size_t size);
void heaptrace__free(const void *ptr);
void heaptrace__snapshot(void);
void heaptrace__ignore(const void *ptr);
void heaptrace__root(const void *ptr, size_t size);

/* ---- seccomp and ptrace settings of the program (sandbox.c) ------------ */

/* The program installed a seccomp filter: no snapshot, no task of ours. */
bool ht_sandboxed(void);
/* This thread entered SECCOMP_MODE_STRICT (it holds ht_guard for good). */
extern __thread int ht_seccomp_strict __attribute__((tls_model("initial-exec")));
/* A system call without errno: the result, or -errno. */
long ht_raw_syscall(long n, long a, long b, long c, long d, long e, long f);
/* prctl(option, arg) without our interposer or errno: 0 or -1. */
int ht_real_prctl(int option, unsigned long arg);
unsigned long ht_program_ptracer(void); /* the program's own PR_SET_PTRACER */

/* ---- attaching to a running program (attach.c, gotpatch.c) ------------ */

/* Loaded by heaptrace attach: real functions are the program's bindings
 * (RTLD_DEFAULT), settings come from ht_config_env, not environ. */
extern bool ht_attach_mode;
extern char **ht_config_env;
/* True in our constructor when we were dlopened, not preloaded. */
bool ht_loaded_late(void);
/* Finds our wrappers; false when they cannot be found. */
bool ht_gotpatch_init(void);
/* Routes the wrapped calls of every object not yet seen through us. */
void ht_gotpatch_new(void);
/* Puts every slot back; returns how many were patched. */
size_t ht_gotpatch_undo(void);
size_t ht_gotpatch_count(void);

/* ---- lifecycle (init.c) ------------------------------------------------ */

void ht_init(void);
/* Records that this process (not a vfork child sharing our memory) owns the log. */
void ht_process_set_owner(void);
void ht_process_each_tp(void (*fn)(void *arg, uint64_t tp, bool released), void *arg);
void ht_process_after_fork_child(uint64_t self_tp);
void ht_freeres_thread_cache(void); /* freeres.c: at the exit snapshot */

#endif /* HT_SHIM_H */
