/* SPDX-License-Identifier: MIT */
/*
 * protobuf.c - the protocol buffers wire format, write side (protobuf.h).
 * Varints are common/varint.h's LEB128, which is protobuf's.
 */
#include "protobuf.h"

#include <stdlib.h>
#include <string.h>

#include "varint.h"
#include "xalloc.h"

enum { PB_VARINT = 0, PB_LEN = 2 };

void pb_release(struct pb_buf *b)
{
    free(b->data);
    *b = (struct pb_buf){0};
}

/* Room for n more bytes. */
static uint8_t *pb_room(struct pb_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        b->data = xreallocarray(b->data, cap, 1);
        b->cap = cap;
    }
    return b->data + b->len;
}

static void pb_varint(struct pb_buf *b, uint64_t v)
{
    uint8_t *p = pb_room(b, HT_VARINT_MAX);
    b->len = (size_t)(ht_put_uvarint(p, v) - b->data);
}

static void pb_key(struct pb_buf *b, uint32_t field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
    if (!v)
        return;
    pb_key(b, field, PB_VARINT);
    pb_varint(b, v);
}

void pb_int(struct pb_buf *b, uint32_t field, int64_t v)
{
    pb_uint(b, field, (uint64_t)v);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *p, size_t n)
{
    pb_key(b, field, PB_LEN);
    pb_varint(b, n);
    if (n) {
        memcpy(pb_room(b, n), p, n);
        b->len += n;
    }
}

void pb_string(struct pb_buf *b, uint32_t field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

void pb_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
    if (!n)
        return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += ht_uvarint_len(v[i]);
    pb_key(b, field, PB_LEN);
    pb_varint(b, len);
    for (size_t i = 0; i < n; i++)
        pb_varint(b, v[i]);
}

void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *sub)
{
    pb_bytes(b, field, sub->data, sub->len);
}
