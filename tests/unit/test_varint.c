/* SPDX-License-Identifier: MIT */
/* test_varint.c - LEB128 round trips, zigzag, and malformed input. */
#include <stdint.h>

#include "check.h"
#include "varint.h"

static void check_roundtrip_u(uint64_t v)
{
    uint8_t buf[HT_VARINT_MAX];
    uint8_t *end = ht_put_uvarint(buf, v);
    CHECK_EQ(end - buf, ht_uvarint_len(v));
    const uint8_t *p = buf;
    uint64_t out = ~v;
    CHECK_EQ(ht_get_uvarint(&p, end, &out), 0);
    CHECK_EQ(out, v);
    CHECK(p == end);
    /* every shorter prefix is "ends inside" and leaves p alone */
    for (const uint8_t *e = buf; e < end; e++) {
        p = buf;
        CHECK_EQ(ht_get_uvarint(&p, e, &out), (uint64_t)-1);
        CHECK(p == buf);
    }
}

static void check_roundtrip_s(int64_t v)
{
    uint8_t buf[HT_VARINT_MAX];
    uint8_t *end = ht_put_svarint(buf, v);
    const uint8_t *p = buf;
    int64_t out = 0;
    CHECK_EQ(ht_get_svarint(&p, end, &out), 0);
    CHECK_EQ(out, v);
}

int main(void)
{
    static const uint64_t values[] = {0, 1, 127, 128, 255, 300, 16383, 16384, UINT32_MAX,
                                      (uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        check_roundtrip_u(values[i]);
        check_roundtrip_s((int64_t)values[i]);
        check_roundtrip_s(-(int64_t)(values[i] >> 1));
    }
    for (int shift = 0; shift < 64; shift++) {
        check_roundtrip_u((uint64_t)1 << shift);
        check_roundtrip_u(((uint64_t)1 << shift) - 1);
    }
    CHECK_EQ(ht_zigzag(0), 0);
    CHECK_EQ(ht_zigzag(-1), 1);
    CHECK_EQ(ht_zigzag(1), 2);
    CHECK_EQ(ht_zigzag(INT64_MIN), UINT64_MAX);
    CHECK_EQ(ht_uvarint_len(UINT64_MAX), 10);

    /* 11 continuation bytes: too long */
    uint8_t too_long[11];
    memset(too_long, 0x80, sizeof(too_long));
    const uint8_t *p = too_long;
    uint64_t out = 0;
    CHECK_EQ(ht_get_uvarint(&p, too_long + 11, &out), (uint64_t)-2);
    CHECK(p == too_long);
    /* 10th byte > 1 overflows 64 bits */
    uint8_t overflow[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = overflow;
    CHECK_EQ(ht_get_uvarint(&p, overflow + 10, &out), (uint64_t)-2);
    /* empty input */
    p = overflow;
    CHECK_EQ(ht_get_uvarint(&p, overflow, &out), (uint64_t)-1);
    /* non-minimal encodings are accepted (the writer never produces them) */
    uint8_t padded[3] = {0x81, 0x80, 0x00};
    p = padded;
    CHECK_EQ(ht_get_uvarint(&p, padded + 3, &out), 0);
    CHECK_EQ(out, 1);
    return check_exit();
}
