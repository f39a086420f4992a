/* thread_register: best effort at "a pointer only in a register". A second
 * thread moves the only pointer to a 700-byte block into r12, clears the
 * memory copy and spins in a tight asm loop that never touches memory; main
 * exits while it spins. Valgrind scans the registers of live threads;
 * heaptrace parks the thread with a signal that saves its registers. Expect:
 * reachable 700/1 (plus the thread's DTV, see README). A stale copy of the
 * pointer in a dead slot of the thread's stack cannot be ruled out (below
 * its stack pointer it is not scanned, and xmalloc's frame is below); the
 * snapshot's root kind (register) says which root held it. */
#include "leak.h"
static void *volatile g_slot;
static NOINLINE void *run(void *arg)
{
    g_slot = xmalloc(700);
    __asm__ volatile(
        "mov %[slot], %%r12\n\t"
        "movq $0, %[slot]\n\t"          /* the only copy is now in r12 */
        "movl $1, %[ready]\n\t"
        "1: pause\n\t"
        "jmp 1b\n\t"
        : [slot] "+m"(g_slot), [ready] "=m"(leak_parked)
        :
        : "r12", "memory");
    return arg;
}
static NOINLINE void *start(void *arg) { scrub(); return run(arg); }
int main(void) { start_parked(start); scrub(); say("thread_register\n"); return 0; }
