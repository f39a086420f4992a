/* thread_register: best effort at "a pointer only in a register". A second
 * thread loads the only pointer to a 700-byte block into r12..r15 / rbx and
 * spins in a tight asm loop that never touches memory; the memory copy is
 * cleared first. main exits while it spins. Valgrind scans the registers of
 * live threads; heaptrace parks the thread with a signal that spills its
 * registers. Expect: reachable 700/1 (plus pthread_create's own blocks). The
 * pointer may still sit in a stale slot of the thread's stack (the asm
 * cannot prove otherwise), so this can pass for the wrong reason; the
 * snapshot's ROOT kinds tell which (README). */
#include "leak.h"
#include <pthread.h>
static volatile int ready;
static void *volatile g_slot;
static NOINLINE void *run(void *arg)
{
    (void)arg;
    g_slot = xmalloc(700);
    __asm__ volatile(
        "mov %[slot], %%r12\n\t"
        "movq $0, %[slot]\n\t"          /* the only copy is now in r12 */
        "movl $1, %[ready]\n\t"
        "1: pause\n\t"
        "jmp 1b\n\t"
        : [slot] "+m"(g_slot), [ready] "=m"(ready)
        :
        : "r12", "memory");
    return NULL;
}
int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL))
        return 1;
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        usleep(1000);
    scrub();
    say("thread_register\n");
    return 0;
}
