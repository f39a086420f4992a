/* SPDX-License-Identifier: MIT */
/*
 * heaptrace.h - optional client API for programs traced by heaptrace.
 *
 * Header-only and free to include everywhere: each call is a no-op when the
 * program runs without libheaptrace.so, and the program links without it.
 * The functions below look up the shim's exported entry points as weak
 * symbols; with the shim preloaded the dynamic linker binds them, without it
 * they stay NULL and the inline wrapper returns at once.
 *
 *     #include <heaptrace.h>
 *     for (;;) {
 *         serve_one_request();
 *         heaptrace_mark("request");   // one sample point per request
 *     }
 *
 * All calls are thread-safe and cheap (no allocation through the program's
 * malloc); none of them changes what the program does.
 */
#ifndef HEAPTRACE_H
#define HEAPTRACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shim's entry points (weak: NULL without the shim). Call the wrappers. */
extern void heaptrace__mark(const char *label) __attribute__((weak));
extern void heaptrace__alloc(const void *ptr, size_t size) __attribute__((weak));
extern void heaptrace__free(const void *ptr) __attribute__((weak));
extern void heaptrace__snapshot(void) __attribute__((weak));
extern void heaptrace__ignore(const void *ptr) __attribute__((weak));
extern void heaptrace__root(const void *ptr, size_t size) __attribute__((weak));

/*
 * Records a user mark: the end of one request, one iteration, one phase.
 * Growth is reported per mark interval. `label` is copied (at most 255 bytes);
 * NULL is the same as "".
 */
static inline void heaptrace_mark(const char *label)
{
    if (heaptrace__mark)
        heaptrace__mark(label);
}

/*
 * Custom allocators (pools, arenas): report a block handed out by your own
 * allocator, and its release, so it is replayed like a malloc'd block.
 */
static inline void heaptrace_alloc(const void *ptr, size_t size)
{
    if (heaptrace__alloc)
        heaptrace__alloc(ptr, size);
}

static inline void heaptrace_free(const void *ptr)
{
    if (heaptrace__free)
        heaptrace__free(ptr);
}

/*
 * Takes a heap snapshot (which live block points at which) of the program
 * as it is now. Returns once a copy of the heap is made (a few ms per GB;
 * longer when an earlier snapshot is still being scanned): a child process
 * scans that copy while the program goes on.
 */
static inline void heaptrace_snapshot(void)
{
    if (heaptrace__snapshot)
        heaptrace__snapshot();
}

/*
 * Marks a heap block as not a leak, whatever points at it (like LSan's
 * __lsan_ignore_object): a cache you deliberately keep to the end.
 */
static inline void heaptrace_ignore(const void *ptr)
{
    if (heaptrace__ignore)
        heaptrace__ignore(ptr);
}

/*
 * Treats [ptr, ptr + size) as a root in heap snapshots, like a global: a
 * custom allocator's arena, or memory mapped by hand. heaptrace_root(ptr, 0)
 * removes it.
 */
static inline void heaptrace_root(const void *ptr, size_t size)
{
    if (heaptrace__root)
        heaptrace__root(ptr, size);
}

#ifdef __cplusplus
}
#endif

#endif /* HEAPTRACE_H */
