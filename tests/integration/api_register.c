/* SPDX-License-Identifier: MIT */
/*
 * api_register.c [held|dropped] - a block whose only pointer is in a
 * callee-saved register (rbx) across heaptrace_snapshot(): that snapshot
 * must count it reachable ("held"), as the program still has it. With
 * "dropped" the register is cleared first and the block is lost. The
 * shim's own frames below the call save rbx when they use it, and those
 * frames are not scanned (they hold stale copies of block addresses), so
 * the snapshot takes the caller's callee-saved registers at the call.
 * x86-64 only (the register is set by hand).
 */
#include <heaptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 300000

#if defined(__x86_64__)
/* malloc(BLOCK) into rbx and nowhere else, call fn, return rbx; with
 * `drop`, rbx is cleared before the call. Every caller-saved register that
 * could still hold the address is cleared too. */
static __attribute__((noinline)) void *across_call(void (*fn)(void), long drop)
{
    void *out;
    __asm__ volatile("mov %%rsp, %%r12\n\t" /* the calls want a 16-byte aligned stack */
                     "and $-16, %%rsp\n\t"
                     "mov %[size], %%edi\n\t"
                     "call malloc@PLT\n\t"
                     "mov %%rax, %%rbx\n\t"
                     "test %[drop], %[drop]\n\t"
                     "jz 1f\n\t"
                     "xor %%ebx, %%ebx\n"
                     "1:\n\t"
                     "xor %%eax, %%eax\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "xor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\t"
                     "xor %%edi, %%edi\n\t"
                     "xor %%r8d, %%r8d\n\t"
                     "xor %%r9d, %%r9d\n\t"
                     "xor %%r10d, %%r10d\n\t"
                     "xor %%r11d, %%r11d\n\t"
                     "call *%[fn]\n\t"
                     "mov %%r12, %%rsp\n\t"
                     "mov %%rbx, %[out]\n\t"
                     : [out] "=r"(out)
                     : [fn] "r"(fn), [drop] "r"(drop), [size] "i"(BLOCK)
                     : "rbx", "r12", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory",
                       "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    return out;
}
#endif

int main(int argc, char **argv)
{
#if defined(__x86_64__)
    if (!heaptrace__snapshot) {
        fprintf(stderr, "api_register: run me under the shim\n");
        return 2;
    }
    long drop = argc > 1 && strcmp(argv[1], "dropped") == 0;
    void *p = across_call(heaptrace__snapshot, drop);
    free(p);
    puts("api_register");
    return 0;
#else
    (void)argc;
    (void)argv;
    puts("api_register: x86-64 only");
    return 77;
#endif
}
