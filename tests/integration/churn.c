/* SPDX-License-Identifier: MIT */
/*
 * churn.c - a deterministic allocation-heavy program for the fault tests:
 * enough events to fill a small disk, one line on stdout and one on stderr
 * of its own, so the test sees that both pass through unchanged.
 *
 *     churn [ROUNDS]      (default 200000)
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    static void *ring[1024];
    unsigned long sum = 0, x = 12345;
    for (unsigned long i = 0; i < rounds; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        unsigned slot = (unsigned)(x >> 54);
        free(ring[slot]);
        ring[slot] = malloc(16 + (x >> 40) % 5000);
        if (!ring[slot])
            return 1;
        sum += (x >> 40) % 5000;
    }
    for (unsigned i = 0; i < 1024; i++)
        free(ring[i]);
    fprintf(stderr, "churn: this line is the program's own stderr\n");
    printf("churn: %lu rounds, sum %lu\n", rounds, sum);
    return 0;
}
