/* SPDX-License-Identifier: MIT */
/*
 * test_protobuf.c - the protobuf writer (analyzer/protobuf.c) against the
 * byte sequences of the wire-format documentation's own examples
 * (protobuf.dev/programming-guides/encoding): what any protobuf reader,
 * go tool pprof's included, expects.
 */
#include <string.h>

#include "check.h"
#include "protobuf.h"

static void check_bytes(const struct pb_buf *b, const unsigned char *want, size_t n, int line)
{
    if (b->len != n || memcmp(b->data, want, n) != 0) {
        fprintf(stderr, "test_protobuf.c:%d: got", line);
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, " %02x", b->data[i]);
        fprintf(stderr, " (%zu bytes, want %zu)\n", b->len, n);
        check_failures++;
    }
}
#define CHECK_BYTES(b, ...)                                                        \
    do {                                                                           \
        static const unsigned char want_[] = {__VA_ARGS__};                       \
        check_bytes(b, want_, sizeof(want_), __LINE__);                            \
    } while (0)

int main(void)
{
    struct pb_buf b = {0}, sub = {0};

    pb_uint(&b, 1, 150); /* "Test1 { a: 150 }" */
    CHECK_BYTES(&b, 0x08, 0x96, 0x01);

    pb_reset(&b);
    pb_string(&b, 2, "testing");
    CHECK_BYTES(&b, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g');

    pb_reset(&b); /* packed repeated: [3, 270, 86942] */
    static const uint64_t packed[] = {3, 270, 86942};
    pb_packed(&b, 4, packed, 3);
    CHECK_BYTES(&b, 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05);

    pb_reset(&b); /* a nested message: Test3 { c: Test1 { a: 150 } } */
    pb_uint(&sub, 1, 150);
    pb_message(&b, 3, &sub);
    CHECK_BYTES(&b, 0x1a, 0x03, 0x08, 0x96, 0x01);

    pb_reset(&b); /* int64 -1: ten bytes, no zigzag */
    pb_int(&b, 2, -1);
    CHECK_BYTES(&b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);

    pb_reset(&b); /* proto3 defaults are left out; empty strings and messages are not */
    pb_uint(&b, 1, 0);
    pb_int(&b, 2, 0);
    pb_packed(&b, 3, packed, 0);
    CHECK_EQ(b.len, 0);
    pb_string(&b, 6, "");
    pb_reset(&sub);
    pb_message(&b, 3, &sub);
    CHECK_BYTES(&b, 0x32, 0x00, 0x1a, 0x00);

    pb_reset(&b); /* a field number above 15 takes a two-byte key */
    pb_uint(&b, 16, 1);
    CHECK_BYTES(&b, 0x80, 0x01, 0x01);

    pb_reset(&b); /* growth past the first allocation keeps every byte */
    for (int i = 0; i < 1000; i++)
        pb_uint(&b, 1, 150);
    CHECK_EQ(b.len, 3000);
    CHECK(b.data[2997] == 0x08 && b.data[2998] == 0x96 && b.data[2999] == 0x01);

    pb_release(&b);
    pb_release(&sub);
    return check_exit();
}
