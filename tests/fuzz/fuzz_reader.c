/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.c - libFuzzer target: any input is read with the reader and
 * replayed with the analyses that follow a replay (leak classes, GC); the contract is "never crashes, never reads out of bounds".
 * Built by run_fuzz.sh with clang -fsanitize=fuzzer, and by the regression
 * driver (regression_driver.c) as an ordinary ctest.
 */
#include <stddef.h>
#include <stdint.h>

#include "gc.h"
#include "leaks.h"
#include "reader.h"
#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ht_reader *r;
    if (ht_reader_open_mem(&r, data, size, "fuzz") == 0) {
        struct replay_opts o = {.from_us = 0, .to_us = UINT64_MAX};
        struct replay *rp = replay_create(&o);
        struct leaks *leaks = NULL;
        struct gc_stats *gc = NULL;
        struct replay_listener lg = gc_listener(&gc), ll = leaks_listener(&leaks);
        replay_listen(rp, &lg);
        replay_listen(rp, &ll);
        replay_run(rp, r);
        replay_free(rp);
        leaks_free(leaks);
        gc_free(gc);
    }
    ht_reader_close(r);
    return 0;
}
