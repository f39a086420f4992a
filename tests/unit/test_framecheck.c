/* SPDX-License-Identifier: MIT */
/*
 * test_framecheck.c - every flipped bit of a log is noticed (issue 14,
 * item 6; docs/FORMAT.md "Frame checks"). Each of the 8 bits of every byte
 * of two logs is flipped in turn: a log written by the recorder
 * (argv[1], tests/fuzz/corpus/recorded-v5.htrace) and a synthetic log in
 * three frames compressed with the recorder's streaming calls (frame headers
 * with a window descriptor). Each copy must be refused (an error naming a
 * byte offset) or read with a warning (truncated, or a check cut off): never
 * read clean. Logs of older versions, without checks, still read.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "framecheck.h"
#include "logbuild.h"
#include "reader.h"

struct tally {
    unsigned refused, warned;
};

/* Reads the whole log; @return 1 refused, 0 read with a warning, -1 read clean. */
static int outcome(const uint8_t *p, size_t n, char *msg, size_t msglen)
{
    struct ht_reader *r;
    struct ht_event ev;
    int rc = -1;
    msg[0] = '\0';
    if (ht_reader_open_mem(&r, p, n, "flip") != 0) {
        snprintf(msg, msglen, "%s", ht_reader_error(r));
        rc = 1;
    } else {
        int k;
        while ((k = ht_reader_next(r, &ev)) == 1)
            ;
        if (k < 0) {
            snprintf(msg, msglen, "%s", ht_reader_error(r));
            rc = 1;
        } else if (ht_reader_truncated(r) || ht_reader_warning(r)[0]) {
            snprintf(msg, msglen, "%s%s", ht_reader_truncation(r), ht_reader_warning(r));
            rc = 0;
        }
    }
    ht_reader_close(r);
    return rc;
}

static void flip_every_bit(const char *what, const uint8_t *log, size_t n)
{
    struct tally t = {0, 0};
    char msg[600];
    uint8_t *copy = malloc(n);
    CHECK_EQ(outcome(log, n, msg, sizeof msg), -1); /* the intact log reads clean */
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, log, n);
            copy[i] ^= (uint8_t)(1u << bit);
            int rc = outcome(copy, n, msg, sizeof msg);
            if (rc < 0) {
                fprintf(stderr, "%s: byte %zu bit %d flipped: read clean, unnoticed\n", what, i,
                        bit);
                check_failures++;
            } else if (rc == 1 && !strstr(msg, "byte") && !strstr(msg, "version") &&
                       !strstr(msg, "magic")) {
                fprintf(stderr, "%s: byte %zu bit %d: refused without saying where: %s\n", what,
                        i, bit, msg);
                check_failures++;
            }
            if (rc == 1)
                t.refused++;
            else if (rc == 0)
                t.warned++;
        }
    }
    printf("%s: %zu bytes, %zu flipped copies: %u refused, %u read with a warning\n", what, n,
           n * 8, t.refused, t.warned);
    free(copy);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *p = malloc(1 << 20);
    *n = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    size_t n;
    if (argc > 1) {
        uint8_t *rec = read_file(argv[1], &n);
        CHECK(rec != NULL);
        if (rec)
            flip_every_bit("recorded log", rec, n);
        free(rec);
    }

    struct logbuild b;
    lb_sample(&b, 8, 1);
    uint8_t *z = lb_compress_streamed(&b, 3, &n);
    CHECK(z[5] != 0 && !(z[4] & 0x20)); /* a window descriptor: not a single segment */
    flip_every_bit("synthetic log, 3 frames", z, n);
    free(z);

    /* a check frame that does not match, or is missing, is named with its offset */
    char msg[600];
    z = lb_compress(&b, 2, &n);
    z[n - 1] ^= 0x40; /* the last check's CRC */
    CHECK_EQ(outcome(z, n, msg, sizeof msg), 1);
    CHECK(strstr(msg, "does not match its check") != NULL);
    free(z);
    lb_release(&b);

    /* version 4 and older logs have no checks and still read */
    lb_sample(&b, 8, 1);
    b.buf[HT_MAGIC_LEN] = HT_CHECK_VERSION - 1;
    b.version = HT_CHECK_VERSION - 1;
    z = lb_compress(&b, 2, &n);
    CHECK_EQ(outcome(z, n, msg, sizeof msg), -1);
    free(z);
    /* while a version 5 log without them is refused */
    b.buf[HT_MAGIC_LEN] = HT_CHECK_VERSION;
    z = lb_compress(&b, 2, &n);
    CHECK_EQ(outcome(z, n, msg, sizeof msg), 1);
    CHECK(strstr(msg, "is not followed by its check frame") != NULL);
    free(z);
    lb_release(&b);
    return check_exit();
}
