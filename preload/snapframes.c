/* SPDX-License-Identifier: MIT */
/*
 * snapframes.c - which function's frame a stack root lies in. For every
 * thread parked for a snapshot, its frames from a frame-pointer walk that
 * starts at the registers the park saved, written as SNAPSHOT_FRAMES
 * records (format.h) for the analyzer to name "the stack of thread 2
 * `worker`, in handle_request".
 *
 * A frame-pointer walk, not libunwind: the scan runs while the program's
 * threads are parked (or in a cloned copy of them), and an unwinder looks
 * up unwind tables under the loader's lock, which a parked thread may hold.
 * The walk only follows a chain that stays inside the thread's stack and
 * rises; code built without frame pointers yields fewer (or no) frames, and
 * the report then names only the thread.
 */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

#define MAX_FRAMES 64

/* Through snapread.c: in the child, a load under its fault handler (a
 * process_vm_readv there would unshare every stack page it touched). */
static bool read_word(uint64_t addr, uint64_t *out)
{
    return ht_snap_read((uint8_t *)out, addr, 8) == 8;
}

/* A frame record at fp: the saved frame pointer above it, a return address
 * beside it, and the same again at the next link (two links make a chain
 * that a stray word seldom imitates). */
static bool frame_record(uint64_t fp, uint64_t hi)
{
    uint64_t next, ret, next2;
    if (fp % 8 || fp + 16 > hi || !read_word(fp, &next) || !read_word(fp + 8, &ret))
        return false;
    if (!ht_modules_covers(ret))
        return false;
    if (next == 0)
        return true; /* the outermost frame record */
    if (next <= fp || next + 16 > hi || next % 8)
        return false;
    return read_word(next, &next2) && (next2 == 0 || next2 > next);
}

/*
 * The frame pointer to start from. The interrupted function may not keep
 * one (a libc wait: %rbp is then any value), but the first caller built
 * with frame pointers left a frame record on the stack above the stack
 * pointer: look for it in the next few KiB.
 */
static uint64_t first_frame(const struct ht_thread *t)
{
    if (frame_record(t->fp, t->stack_hi) && t->fp >= t->sp)
        return t->fp;
    uint64_t end = t->sp + 4096 < t->stack_hi ? t->sp + 4096 : t->stack_hi;
    for (uint64_t a = (t->sp + 7) & ~7ull; a + 16 <= end; a += 8)
        if (frame_record(a, t->stack_hi))
            return a;
    return 0;
}

void ht_snapshot_frames(void (*put)(void *ctx, uint8_t tag, const uint8_t *payload, size_t n),
                        void *ctx)
{
    uint8_t buf[2 * HT_VARINT_MAX + MAX_FRAMES * 2 * HT_VARINT_MAX];
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (t->is_writer || !atomic_load(&t->parked) || !t->stack_hi || !t->ip)
            continue;
        uint64_t low[MAX_FRAMES], ip[MAX_FRAMES];
        unsigned n = 0;
        /* frame 0: the interrupted function, from the stack pointer up */
        low[n] = t->sp;
        ip[n++] = t->ip;
        uint64_t fp = first_frame(t), floor = t->sp;
        if (fp && fp != t->fp) {
            /* Found by scanning: frame 0 (no frame pointer, a libc wait) and
             * the function that owns the record at fp share [sp, fp + 16).
             * That function's pc is the return address its call into the
             * former pushed: the highest code address below its record. */
            for (uint64_t a = fp - 8; a > t->sp; a -= 8) {
                uint64_t w;
                if (read_word(a, &w) && ht_modules_covers(w)) {
                    low[n] = a + 8;
                    ip[n++] = w;
                    break;
                }
            }
        }
        while (fp && n < MAX_FRAMES && fp >= floor && fp % 8 == 0 && fp + 16 <= t->stack_hi) {
            uint64_t next, ret;
            if (!read_word(fp, &next) || !read_word(fp + 8, &ret) || !ht_modules_covers(ret))
                break;
            low[n] = fp + 16; /* the caller's frame starts above the saved fp and return address */
            ip[n++] = ret;
            if (next <= fp)
                break; /* the chain ends (0) or does not rise: no frame pointer beyond */
            floor = fp + 16;
            fp = next;
        }
        uint8_t *p = ht_put_uvarint(buf, t->index);
        p = ht_put_uvarint(p, n);
        for (unsigned i = 0; i < n; i++) {
            p = ht_put_uvarint(p, t->stack_hi - low[i]);
            p = ht_put_uvarint(p, ip[i]);
        }
        put(ctx, HT_REC_SNAPSHOT_FRAMES, buf, (size_t)(p - buf));
    }
}
