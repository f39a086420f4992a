/* stale_stack: a function fills the deep part of a 16 KiB frame (4 to 16
 * KiB below its caller) with copies of the only pointer to a 222-byte
 * block and returns; main then calls exit() with its stack pointer above
 * that dead frame. Memory below a thread's stack pointer is not a root,
 * even when the exit-time code runs deeper than the program did. Expect:
 * definitely 222/1. */
#include "leak.h"
static NOINLINE void *make(void) { return xmalloc(222); }
static NOINLINE void bury(void)
{
    void *volatile slots[2048]; /* 16 KiB of dead frame once it returns */
    void *p = make();
    for (int i = 0; i < 2048; i++)
        slots[i] = i < 1536 ? p : NULL;
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
