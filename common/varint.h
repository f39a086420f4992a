/* SPDX-License-Identifier: MIT */
/*
 * varint.h - LEB128 varints shared by the log writer and the reader.
 *
 * Unsigned: 7 bits per byte, low bits first, high bit set on every byte but
 * the last; a uint64_t takes at most 10 bytes. Signed values are zigzag-mapped
 * first (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...) so small deltas of either sign
 * stay short.
 *
 * Everything here is inline, allocation-free and safe on the shim's hot path.
 * The decoders never read past `end` and report malformed input instead.
 */
#ifndef HT_VARINT_H
#define HT_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define HT_VARINT_MAX 10

static inline uint64_t ht_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t ht_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Writes v at p (which has room for HT_VARINT_MAX bytes); returns the end. */
static inline uint8_t *ht_put_uvarint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *ht_put_svarint(uint8_t *p, int64_t v)
{
    return ht_put_uvarint(p, ht_zigzag(v));
}

static inline size_t ht_uvarint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/*
 * Reads an unsigned varint from [*pp, end) into *out and advances *pp.
 * @return 0 on success, -1 when the input ends inside the varint, -2 when it
 * is longer than 10 bytes or overflows 64 bits. *pp is unchanged on error.
 */
static inline int ht_get_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -2;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            *pp = p;
            return 0;
        }
    }
    return -2;
}

static inline int ht_get_svarint(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    int rc = ht_get_uvarint(pp, end, &u);
    if (rc == 0)
        *out = ht_unzigzag(u);
    return rc;
}

#endif /* HT_VARINT_H */
