/* SPDX-License-Identifier: MIT */
/*
 * format.h - the .htrace log format: the one contract between the recorder
 * (preload/) and the analyzer (analyzer/). docs/FORMAT.md is its prose spec;
 * when the two disagree, this file is right and FORMAT.md has a bug.
 *
 * Layout of a file: one or more concatenated zstd frames, each followed by
 * a check frame from version 5 on (framecheck.h). The zstd frames'
 * decompressed concatenation is the "stream":
 *
 *     stream  := MAGIC version:uvarint record*
 *     record  := tag:u8 length:uvarint payload[length]
 *              | compact-tag:u8 payload        (HT_TAG_IS_COMPACT)
 *
 * Compact records (ALLOC, FREE, REALLOC: nearly every record of a log) carry
 * no length and no dt: their payload is a fixed sequence of varints, each
 * bounds-checked as it is read.
 *
 * A handle (OWNER_END, OWNER_CLOSE) is written as a handle reference:
 * 0 = none (the constructor failed); odd = a live heap block, (age << 1) | 1;
 * even = any other address, addr << 1 (regcomp's caller-owned regex_t).
 *
 * Every integer in a payload is a LEB128 varint (common/varint.h): unsigned
 * (u) or zigzag-signed (s). A string is u:length followed by that many bytes,
 * no terminator. Records are written in one global order (the recorder's
 * cross-thread ticket order), so replaying them in file order is exact even
 * when threads reuse each other's addresses.
 *
 * Implicit state the reader carries from record to record:
 *   time      microseconds since HEADER.start, on the recorder's 100 us grid.
 *             Event records carry dt:u, the increase since the previous time
 *             (never negative); compact heap records carry none and happen at
 *             the current time, which TICK moves forward. Every record thus
 *             has a timestamp, and the heap records of a busy program (many a
 *             microsecond) repeat byte for byte, which zstd rewards.
 *   blocks    heap blocks are numbered 1, 2, 3... in the order they are
 *             created (each ALLOC, and each REALLOC that returns a block);
 *             FREE and REALLOC name an earlier block by its age: the number
 *             of blocks created since it, i.e. block = created_so_far - age.
 *             Addresses stay in the process (its live-block table maps them
 *             to block ids); the log needs only identity, and ids compress
 *             far better than addresses.
 *   thread    the thread index set by the last SWITCH (0 = main/first thread).
 *   stack id  STACK records are numbered 1, 2, 3... in file order; 0 = none.
 *
 * Invariants: tags and field orders never change within a version; adding a
 * record kind or a trailing field bumps HT_FORMAT_VERSION. A reader refuses a
 * version it does not know and a tag it does not know.
 */
#ifndef HT_FORMAT_H
#define HT_FORMAT_H

#include <stdint.h>

/* First 8 bytes of the stream (inside the first zstd frame). */
#define HT_MAGIC "\x89HTRACE\n"
#define HT_MAGIC_LEN 8
/* 2: SNAPSHOT_EDGES_AT (edges with the pointer's offset), SNAPSHOT_END's
 * trailing scan_ns, SNAPSHOT_FRAMES, THREAD_RELEASE and the GC records.
 * 3: SNAPSHOT_EDGES_DELTA (block ids as differences), SNAPSHOT_END's
 * trailing scan_cpu_ns.
 * 4: NOTE (what the recorder could not do, and why).
 * 5: a check frame after every zstd frame (framecheck.h), so any flipped
 * bit of the file is found; the stream itself is version 4's.
 * 6: SAMPLING (the log holds a Poisson sample of the allocations).
 * 7: ATTACH (a log that began in a running program), END reason DETACH.
 * A reader reads every older version too. */
#define HT_FORMAT_VERSION 7

/* Upper bounds a reader enforces (and the writer never exceeds). */
#define HT_MAX_RECORD_LEN (16u << 20) /* one record's payload */
#define HT_MAX_STACK_DEPTH 256        /* frames in one STACK */
#define HT_MAX_STRING_LEN (1u << 20)

/*
 * Allocation functions. ALLOC records use tag HT_REC_ALLOC_BASE + fn, so the
 * function costs no payload byte. Order is part of the format.
 */
enum ht_alloc_fn {
    HT_FN_MALLOC = 0,
    HT_FN_CALLOC = 1,
    HT_FN_POSIX_MEMALIGN = 2,
    HT_FN_ALIGNED_ALLOC = 3,
    HT_FN_MEMALIGN = 4,
    HT_FN_VALLOC = 5,
    HT_FN_PVALLOC = 6,
    HT_FN_REALLOCARRAY_NEW = 7, /* reallocarray(NULL, ...) */
    HT_FN_CUSTOM = 8,           /* heaptrace_alloc() from include/heaptrace.h */
    HT_FN_INHERITED = 9,        /* a forked child's block from its parent, announced
                                 * at the start of the child's log (with the stack
                                 * that allocated it in the parent) */
    HT_FN_COUNT_
};

/* Owner kinds: handle constructors whose hidden allocations are tagged. */
enum ht_owner_kind {
    HT_OWNER_ICONV = 0,   /* iconv_open / iconv_close */
    HT_OWNER_FOPEN = 1,   /* fopen, fdopen, freopen, fmemopen, open_memstream... / fclose */
    HT_OWNER_OPENDIR = 2, /* opendir, fdopendir / closedir */
    HT_OWNER_REGCOMP = 3, /* regcomp / regfree (handle = the regex_t *) */
    HT_OWNER_NEWLOCALE = 4, /* newlocale, duplocale / freelocale */
    HT_OWNER_THREAD = 5,    /* not a record kind: the report's name for threads that
                             * exited unjoined and undetached (THREAD_RELEASE) */
    HT_OWNER_KIND_COUNT_
};

/* GC allocation functions (GC_ALLOC.fn). Order is part of the format. */
enum ht_gc_fn {
    HT_GC_MALLOC = 0,          /* GC_malloc */
    HT_GC_MALLOC_ATOMIC = 1,   /* GC_malloc_atomic (no pointers inside) */
    HT_GC_UNCOLLECTABLE = 2,   /* GC_malloc_uncollectable, ..._atomic_uncollectable */
    HT_GC_REALLOC = 3,         /* GC_realloc: the new object */
    HT_GC_MANY = 4,            /* GC_generic_malloc_many, GC_malloc_many: a free list */
    HT_GC_GENERIC = 5,         /* GC_generic_malloc, GC_malloc_kind (any kind) */
    HT_GC_TYPED = 6,           /* GC_malloc_explicitly_typed */
    HT_GC_IGNORE_OFF_PAGE = 7, /* GC_malloc_ignore_off_page, ..._atomic_ignore_off_page */
    HT_GC_FN_COUNT_
};

/* Disappearing-link operations (GC_LINK.op). */
enum ht_gc_link_op {
    HT_GC_LINK_REGISTER = 0,   /* GC_general_register_disappearing_link, GC_register_disappearing_link */
    HT_GC_LINK_REGISTER_LONG = 1, /* GC_register_long_link */
    HT_GC_LINK_UNREGISTER = 2, /* GC_unregister_disappearing_link, GC_unregister_long_link */
    HT_GC_LINK_MOVE = 3,       /* GC_move_disappearing_link, GC_move_long_link */
    HT_GC_LINK_CLEARED = 4,    /* found NULL after a collection: the GC cleared it */
    HT_GC_LINK_DEAD_DROPPED = 5, /* a cleared slot's object was collected, or the slot reused
                                    (at once: the slot is in no live GC object) */
    HT_GC_LINK_OP_COUNT_
};

/* NOTE codes (NOTE.code): what the recorder could not do. */
enum ht_note {
    HT_NOTE_SANDBOX = 1,      /* the program installed a seccomp filter: no snapshot from now on */
    HT_NOTE_NOT_STOPPED = 2,  /* a snapshot could not stop some thread (ptrace refused, or
                               * no helper task): it ran on, its stack was scanned whole,
                               * its registers are unknown */
};

/* Why a snapshot was taken (SNAPSHOT_BEGIN.reason). */
enum ht_snapshot_reason {
    HT_SNAP_EXIT = 0,     /* the process is ending (after exit-time code) */
    HT_SNAP_API = 1,      /* heaptrace_snapshot() */
    HT_SNAP_SIGNAL = 2,   /* HEAPTRACE_SNAPSHOT_SIGNAL */
    HT_SNAP_INTERVAL = 3, /* HEAPTRACE_SNAPSHOT_INTERVAL */
    HT_SNAP_MARKS = 4,    /* every HEAPTRACE_SNAPSHOT_EVERY_MARKS marks */
};

/* Where a root pointer lives (SNAPSHOT_ROOTS.kind). */
enum ht_root_kind {
    HT_ROOT_GLOBAL = 0, /* a writable segment of a loaded module (.data, .bss) */
    HT_ROOT_STACK = 1,  /* a live thread's stack, from its stack pointer up */
    HT_ROOT_TLS = 2,    /* thread-local storage */
    HT_ROOT_REGISTER = 3,
    HT_ROOT_USER = 4,   /* heaptrace_root() */
    HT_ROOT_MAPPING = 5, /* an anonymous read-write mapping the program made itself */
    HT_ROOT_PREATTACH = 6, /* heaptrace attach: memory from before the attach (the blocks
                            * allocated then, untracked), around the tracked blocks */
    HT_ROOT_KIND_COUNT_
};

/* Why the log ended (END.reason). */
enum ht_end_reason {
    HT_END_EXIT = 0,    /* normal exit: exit(), return from main */
    HT_END_UNDERSCORE_EXIT = 1, /* _exit / _Exit */
    HT_END_EXEC = 2,    /* reserved: an exec'd log ends with EXEC instead */
    HT_END_ERROR = 3,   /* tracing stopped after a write error */
    HT_END_DETACH = 4,  /* heaptrace attach ended the recording; the program ran on */
    HT_END_SIGNAL = 0x100, /* + the signal number: killed by a fatal signal */
};

/*
 * Record tags. Payload fields in order; "dt" is the time delta (see above).
 */
enum ht_record_tag {
    /* HEADER (first record, once):
     *   pid:u ppid:u start_unix_ns:u pointer_size:u page_size:u depth:u
     *   flags:u exe:str argc:u argv:str*argc log_path:str parent_log:str
     * parent_log is "" for the first process of a tree. */
    HT_REC_HEADER = 0x01,
    /* MODULES: the full module list, replacing the previous one.
     *   count:u then per module: path:str base:u build_id:str(raw bytes)
     *   nseg:u then per segment: vaddr:u memsz:u flags:u   (ELF p_vaddr, p_memsz,
     *   p_flags of each PT_LOAD; a runtime address is base + vaddr) */
    HT_REC_MODULES = 0x02,
    /* STACK: defines the next stack id. depth:u ip:u*depth, innermost first.
     * Return addresses are stored as written by the unwinder (the analyzer
     * subtracts 1 for every frame but the first before looking up lines). */
    HT_REC_STACK = 0x03,
    /* SWITCH: thread:u  (index of the thread the following records are from) */
    HT_REC_SWITCH = 0x04,
    /* TICK: dt  -- time moved on (for the compact records that follow) */
    HT_REC_TICK = 0x08,
    /* THREAD_START: dt thread:u tid:u stack_lo:u stack_hi:u name:str */
    HT_REC_THREAD_START = 0x05,
    /* THREAD_NAME: dt thread:u name:str */
    HT_REC_THREAD_NAME = 0x06,
    /* THREAD_EXIT: dt thread:u */
    HT_REC_THREAD_EXIT = 0x07,
    /* THREAD_RELEASE: dt thread:u  -- the thread was joined or detached (or
     * created detached): once it exits, its stack goes back to the system
     * or glibc's cache. A thread that exits without one keeps its stack
     * mapped for good (owner kind HT_OWNER_THREAD in the report). */
    HT_REC_THREAD_RELEASE = 0x09,

    /* ALLOC (tag = base + enum ht_alloc_fn): size:u stack:u  (compact)
     * creates the next block. */
    HT_REC_ALLOC_BASE = 0x10,
    /* FREE: age:u  (compact; free, and delete/delete[] via libstdc++). A free of an
     * address the recorder never saw allocated is not written. */
    HT_REC_FREE = 0x20,
    /* REALLOC: old:u result:u size:u stack:u  (compact)
     * old: 0 for realloc(NULL, n), else 1 + the age of the block it frees.
     * result: 1 when the call returned a block, which is created (even when
     * it did not move); 0 when it returned NULL after freeing old
     * (realloc(p, 0)). A failed realloc is not recorded. Also reallocarray. */
    HT_REC_REALLOC = 0x21,

    /* MMAP: dt addr:u len:u prot:u flags:u stack:u   (anonymous, private or shared) */
    HT_REC_MMAP = 0x30,
    /* MUNMAP: dt addr:u len:u */
    HT_REC_MUNMAP = 0x31,
    /* MREMAP: dt old:u old_len:u new:u new_len:u stack:u */
    HT_REC_MREMAP = 0x32,

    /* OWNER_BEGIN: dt kind:u stack:u  -- the thread entered a handle constructor;
     * its allocations until OWNER_END belong to the handle it returns. */
    HT_REC_OWNER_BEGIN = 0x40,
    /* OWNER_END: dt handle:ref   (0 when the constructor failed; see above) */
    HT_REC_OWNER_END = 0x41,
    /* OWNER_CLOSE: dt kind:u handle:ref  -- the handle's destructor was called */
    HT_REC_OWNER_CLOSE = 0x42,

    /* MARK: dt label:str   (heaptrace_mark) */
    HT_REC_MARK = 0x50,
    /* RSS: dt rss_bytes:u   (from /proc/self/statm, about once a second) */
    HT_REC_RSS = 0x51,
    /* LOST: dt events:u  -- events dropped because a buffer stayed full */
    HT_REC_LOST = 0x52,
    /* FORK: dt child_pid:u */
    HT_REC_FORK = 0x53,
    /* EXEC: dt path:str  (an exec is about to happen; if it fails, events go
     * on). A log whose last record is EXEC is complete: its image was
     * replaced, and the new image writes a log of its own. */
    HT_REC_EXEC = 0x54,
    /* NOTE (version 4): dt code:u -- enum ht_note: something the recorder
     * could not do (the program itself went on unchanged). */
    HT_REC_NOTE = 0x55,
    /* SAMPLING (version 6): dt every:u -- right after HEADER when the
     * recorder sampled (HEAPTRACE_SAMPLE): only allocations that a Poisson
     * process of one point per `every` bytes on average hit are recorded
     * (common/sampling.h), with their frees; an ALLOC or REALLOC of n bytes
     * stands for n / p(n) bytes and 1 / p(n) allocations, p(n) = 1 -
     * exp(-n / every). Absent: every allocation is in the log. A sampled
     * log has no snapshots. MMAP, MUNMAP, MREMAP, owners' records are
     * never sampled. */
    HT_REC_SAMPLING = 0x56,
    /* ATTACH (version 7): dt heap_bytes:u allocator:u -- the log of a
     * program that was already running (heaptrace attach): its allocator
     * held heap_bytes in use at that moment (0: unknown), in blocks this
     * log never saw allocated. allocator: enum ht_attach_allocator. */
    HT_REC_ATTACH = 0x57,

    /* Heap snapshot: who points at whom among the live blocks, and which
     * roots point into the heap. One snapshot is SNAPSHOT_BEGIN, any number
     * of SNAPSHOT_EDGES and SNAPSHOT_ROOTS records, then SNAPSHOT_END. The
     * blocks are exactly the live blocks at that point of the log (replay
     * knows their sizes and sites). Pointer rules follow valgrind memcheck:
     * only 8-byte-aligned words are read; a word equal to a block's start is
     * a start pointer, one strictly inside it an interior pointer, one past
     * its end nothing; a 0-byte block is pointed to only by its start.
     *
     * A snapshot of a running program is scanned by a child process while
     * the program goes on, so its EDGES, ROOTS and END may come after later
     * program records. They belong to the last SNAPSHOT_BEGIN that has no
     * END yet (one snapshot at a time), and describe the heap as it was at
     * that BEGIN: the live blocks then, by id, whatever happened since.
     *
     * SNAPSHOT_BEGIN: dt seq:u reason:u blocks:u
     *   reason: enum ht_snapshot_reason. blocks: how many live blocks were
     *   scanned (equals the replayed live count unless events were lost). */
    HT_REC_SNAPSHOT_BEGIN = 0x60,
    /* SNAPSHOT_EDGES (no dt): n:u then n entries: from:u count:u then count targets
     *   to:u. `from` and each `to` are block ids (not ages: a snapshot names
     *   blocks of all ages); a target is written (id << 1) | interior. Blocks
     *   with no outgoing edge are not listed. */
    HT_REC_SNAPSHOT_EDGES = 0x61,
    /* SNAPSHOT_EDGES_AT (no dt, version 2): SNAPSHOT_EDGES with where each
     *   pointer lies. n:u then n entries: from:u count:u then count pairs
     *   to:u skip:u. `to` as in SNAPSHOT_EDGES. The pointer's word index in
     *   `from` (byte offset / 8: only aligned words are pointers) is
     *   previous word + 1 + skip, the previous word of the first target
     *   being -1: targets come in address order, so skip is the count of
     *   words between two pointers, usually one byte. Readers present it as
     *   a SNAPSHOT_EDGES; the recorder writes only this one since version 2. */
    HT_REC_SNAPSHOT_EDGES_AT = 0x65,
    /* SNAPSHOT_EDGES_DELTA (no dt, version 3): SNAPSHOT_EDGES_AT with block
     *   ids written as differences, since most are close to their neighbours
     *   (blocks allocated one after the other lie side by side, and point at
     *   each other). n:u then n entries: from:s count:u then count pairs
     *   to:u skip:u. `from` is the difference from the previous entry's id
     *   (the first entry's from 0). `to` is (zigzag(target id - from id) << 1)
     *   | interior. skip as in SNAPSHOT_EDGES_AT. Readers present it as a
     *   SNAPSHOT_EDGES with offsets; the recorder writes only this one since
     *   version 3. */
    HT_REC_SNAPSHOT_EDGES_DELTA = 0x67,
    /* SNAPSHOT_ROOTS (no dt): n:u then n entries: kind:u where:u offset:u to:u
     *   kind: enum ht_root_kind. where: for GLOBAL the index of the module in
     *   the last MODULES list and offset the word's address minus the
     *   module's base (so the analyzer can name the symbol); for STACK the
     *   thread index and offset the distance below the stack's top; for TLS
     *   the thread index and offset from the start of its static TLS; for
     *   REGISTER the thread index and the register number (x86-64: rax 0,
     *   rbx 1, rcx 2, rdx 3, rsi 4, rdi 5, rbp 6, r8-r15 7-14); for
     *   USER, MAPPING and PREATTACH (version 7) 0 and the word's address.
     *   to: (block id << 1) | interior. */
    HT_REC_SNAPSHOT_ROOTS = 0x62,
    /* SNAPSHOT_FRAMES (no dt, version 2, optional): thread:u n:u then n entries
     *   below:u ip:u, innermost first: the thread's frames when it was
     *   parked (a frame-pointer walk), frame i covering the stack from
     *   `below` bytes under the stack's top up to frame i + 1's start; ip
     *   is the frame's pc (frame 0) or return address. Belongs to the open
     *   snapshot, like ROOTS. */
    HT_REC_SNAPSHOT_FRAMES = 0x66,
    /* SNAPSHOT_END: dt pause_ns:u edges:u roots:u
     *               [scan_ns:u [scan_cpu_ns:u [index_cpu_ns:u]]]
     *   pause_ns: how long the program was held for this snapshot.
     *   scan_ns (version 2, optional: absent in version 1 logs): how long the
     *   scan took, from copying the live table to the last root, in the
     *   child that scans (in the exiting thread when there is no child: then
     *   it is part of pause_ns). scan_cpu_ns (version 3, optional): the CPU
     *   time of the thread that scanned. index_cpu_ns (optional: added during
     *   version 3 without a bump, so a version 3 log may lack it): the part of scan_cpu_ns
     *   spent building the index of live blocks before any word was
     *   scanned. edges and roots: how many targets and roots the snapshot's
     *   EDGES and ROOTS records held (a reader checks them). */
    HT_REC_SNAPSHOT_END = 0x63,

    /* IGNORE: dt age:u  -- heaptrace_ignore(): the block is not a leak (like
     * LSan's __lsan_ignore_object); the analyzer counts it as reachable. */
    HT_REC_IGNORE = 0x64,

    /* Boehm-Demers-Weiser collector (libgc) records. GC objects are a heap of
     * their own: they are not blocks (no ids, no FREE); the GC frees most of
     * them silently. See docs/FORMAT.md "GC records".
     * GC_ALLOC: dt fn:u count:u bytes:u stack:u  (fn: enum ht_gc_fn; count
     *   objects of `bytes` in all; GC_generic_malloc_many's list is counted).
     *   The recorder tallies: one record holds every call of fn, on every
     *   thread, since the previous GC_ALLOC of fn, and is written at each
     *   collection's end (before its GC_COLLECTION) and before END; stack 0
     *   then (a record of a single call may name its stack). */
    HT_REC_GC_ALLOC = 0x70,
    /* GC_FREE: dt bytes:u  -- GC_free of an object (explicit, not a collection) */
    HT_REC_GC_FREE = 0x71,
    /* GC_COLLECTION: dt gc_no:u heap_bytes:u free_bytes:u unmapped_bytes:u
     *   duration_ns:u rss_bytes:u  -- a collection ended (GC_EVENT_END); sizes as
     *   GC_get_heap_size / GC_get_free_bytes report them; rss 0 if unknown */
    HT_REC_GC_COLLECTION = 0x72,
    /* GC_LINK: dt op:u count:u stack:u  (op: enum ht_gc_link_op; stack of the
     *   call for REGISTER*, MOVE; for UNREGISTER, CLEARED, DEAD_DROPPED where the
     *   link was registered, 0 when unknown (older logs: CLEARED 0, UNREGISTER
     *   the call's); CLEARED and DEAD_DROPPED follow the GC_COLLECTION that
     *   found them) */
    HT_REC_GC_LINK = 0x73,
    /* GC_FINALIZER: dt op:u stack:u  -- op 0: a finalizer was registered on an
     *   object at stack; 1: a finalizer was removed (registered with NULL) */
    HT_REC_GC_FINALIZER = 0x74,
    /* GC_FINALIZE_BEGIN: dt bytes:u stack:u  -- a collection found an object
     *   with a finalizer dead and its finalizer starts on this thread (the
     *   object's end of life); stack: where the finalizer was registered.
     *   Records of this thread until GC_FINALIZE_END happen inside it. */
    HT_REC_GC_FINALIZE_BEGIN = 0x75,
    /* GC_FINALIZE_END: dt  -- the finalizer returned */
    HT_REC_GC_FINALIZE_END = 0x76,

    /* END: dt reason:u  -- last record of a complete log */
    HT_REC_END = 0x7f,
};

/* Records without a length field: payload = a fixed number of varints. */
#define HT_TAG_IS_COMPACT(tag)                                                                     \
    (((tag) >= HT_REC_ALLOC_BASE && (tag) < HT_REC_ALLOC_BASE + HT_FN_COUNT_) ||                   \
     (tag) == HT_REC_FREE || (tag) == HT_REC_REALLOC)
/* How many varints a compact record's payload holds. */
#define HT_COMPACT_FIELDS(tag) ((tag) == HT_REC_FREE ? 1 : (tag) == HT_REC_REALLOC ? 4 : 2)

/* Whose count ATTACH.heap_bytes is. */
enum ht_attach_allocator {
    HT_ATTACH_UNKNOWN = 0,
    HT_ATTACH_GLIBC = 1,    /* mallinfo2: uordblks + hblkhd */
    HT_ATTACH_JEMALLOC = 2, /* mallctl stats.allocated */
};

/* HEADER.flags bits */
#define HT_FLAG_FOLLOW_EXEC 0x1u
#define HT_FLAG_FOLLOW_FORK 0x2u

#endif /* HT_FORMAT_H */
