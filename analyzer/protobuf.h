/* SPDX-License-Identifier: MIT */
/*
 * protobuf.h - just enough of the protocol buffers wire format to write a
 * message: varint fields (wire type 0), length-delimited fields (wire type
 * 2: strings, bytes, packed repeated varints, nested messages), into a
 * growable byte buffer. No reflection and no decoder: the writer that uses
 * it (report_pprof.c) knows its field numbers.
 *
 * Wire format (developers.google.com/protocol-buffers/docs/encoding): each
 * field is a key varint (field_number << 3 | wire_type) then its payload;
 * int64 and uint64 are plain varints (a negative int64 takes 10 bytes);
 * a nested message is its encoding, length-prefixed. proto3 scalars equal
 * to 0 may be left out: pb_uint and pb_int leave them out.
 *
 * Out of memory exits with status 3 (xalloc.h); nothing here fails otherwise.
 */
#ifndef HT_PROTOBUF_H
#define HT_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb_buf {
    uint8_t *data;
    size_t len, cap;
};

/* A zero-filled struct pb_buf is an empty buffer; release frees its bytes. */
void pb_release(struct pb_buf *b);
/* Empties b, keeping its memory for the next message. */
static inline void pb_reset(struct pb_buf *b)
{
    b->len = 0;
}

/* uint64 / bool / enum field; nothing when v is 0 (proto3's default). */
void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v);
/* int64 field (two's complement varint, not zigzag); nothing when v is 0. */
void pb_int(struct pb_buf *b, uint32_t field, int64_t v);
/* string or bytes field, written even when empty (a repeated string's "" counts). */
void pb_bytes(struct pb_buf *b, uint32_t field, const void *p, size_t n);
void pb_string(struct pb_buf *b, uint32_t field, const char *s);
/* packed repeated uint64 (or int64, cast): nothing when n is 0. */
void pb_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);
/* A nested message: sub's bytes, length-prefixed (written even when empty). */
void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *sub);

#endif /* HT_PROTOBUF_H */
