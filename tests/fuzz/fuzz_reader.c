/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.c - libFuzzer target: any input is read with the reader and
 * replayed; the contract is "never crashes, never reads out of bounds".
 * Built by run_fuzz.sh with clang -fsanitize=fuzzer, and by the regression
 * driver (regression_driver.c) as an ordinary ctest.
 */
#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ht_reader *r;
    if (ht_reader_open_mem(&r, data, size, "fuzz") == 0) {
        struct replay_opts o = {.from_us = 0, .to_us = UINT64_MAX};
        struct replay *rp = replay_create(&o);
        replay_run(rp, r);
        replay_free(rp);
    }
    ht_reader_close(r);
    return 0;
}
