/* stale_stack: a function fills parts of a 16 KiB frame with copies of the
 * only pointer to a 222-byte block and returns; main then calls exit() with
 * its stack pointer above that dead frame. The deep part (4 to 16 KiB below
 * main) lies below heaptrace's own exit code too; the 64 bytes just below
 * main's stack pointer become exit's and its handlers' frames, whose
 * unwritten slots keep the stale copies while the loader runs destructors
 * (heaptrace's among them), though not by the time valgrind looks, at
 * exit_group. Memory below a thread's stack pointer is not a root. Expect:
 * definitely 222/1. */
#include "leak.h"
static NOINLINE void *make(void) { return xmalloc(222); }
static NOINLINE void bury(void)
{
    void *volatile slots[2048]; /* 16 KiB of dead frame once it returns */
    void *p = make();
    for (int i = 0; i < 2048; i++)
        slots[i] = i < 1536 || i >= 2040 ? p : NULL;
    p = slots[0] ? NULL : p;
    __asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\txor %%edi, %%edi" ::: "rax", "rcx", "rdx", "rsi",
                     "rdi", "memory");
}
int main(void)
{
    bury();
    say("stale_stack\n");
    exit(0);
}
