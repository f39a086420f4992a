/* SPDX-License-Identifier: MIT */
/*
 * early_alloc.c - prints what early_lib.c's constructor found: "early_alloc
 * 0" when its allocations behaved, natively and under the shim.
 */
#include <stdio.h>

extern int early_ok;

int main(void)
{
    printf("early_alloc %d\n", early_ok);
    return early_ok != 0;
}
