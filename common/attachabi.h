/* SPDX-License-Identifier: MIT */
/*
 * attachabi.h - what heaptrace-attach (attach/) and libheaptrace.so
 * (preload/attach.c) agree on: the entry points the injector calls inside
 * the program, and the result the library writes back into the program's
 * memory for the injector to read.
 *
 *   long heaptrace__attach(const char *settings, struct ht_attach_result *out);
 *   long heaptrace__detach(void);
 *
 * settings: "HEAPTRACE_X=value" lines, read as the environment would be,
 * plus HEAPTRACE_ATTACH_FOR_MS (end after that long) and
 * HEAPTRACE_ATTACH_WATCH (end when that process, the injector, is gone).
 */
#ifndef HT_ATTACHABI_H
#define HT_ATTACHABI_H

#include <stdint.h>

#define HT_ATTACH_PATH_MAX 4096

struct ht_attach_result {
    int64_t status;      /* 0, or a negative enum ht_attach_status */
    uint64_t heap_bytes; /* in use when we attached (the allocator's count), 0 unknown */
    uint64_t allocator;  /* enum ht_attach_allocator (format.h) */
    uint64_t slots;      /* call slots routed through the library */
    char log[HT_ATTACH_PATH_MAX];
};

enum ht_attach_status {
    HT_ATTACH_OK = 0,
    HT_ATTACH_EBUSY = -1,  /* the library is already tracing this process */
    HT_ATTACH_EINIT = -2,  /* it could not start (the log could not be opened) */
    HT_ATTACH_EPATCH = -3, /* it could not find its own wrappers */
};

#endif /* HT_ATTACHABI_H */
