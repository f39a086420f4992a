/* SPDX-License-Identifier: MIT */
/*
 * names.h - printable names for the enums of common/format.h, shared by the
 * reader's messages, --dump and the report writers. The names are part of
 * the JSON output (docs/REPORT.md): never rename one.
 */
#ifndef HT_NAMES_H
#define HT_NAMES_H

#include <stdint.h>

/* "ALLOC", "FREE", ...; NULL for a tag format.h does not define. */
const char *names_tag(uint8_t tag);
/* "malloc", "calloc", ...; "?" when out of range. */
const char *names_alloc_fn(uint64_t fn);
/* "iconv_open", "fopen", "opendir", "regcomp", "newlocale"; "?" when out of range. */
const char *names_owner_kind(uint64_t kind);
/* The handle type an owner kind's constructor returns: "iconv_t", "FILE *"... */
const char *names_owner_type(uint64_t kind);
/* "exit", "api", "signal", "interval", "marks" (SNAPSHOT_BEGIN.reason); "?" when out of range. */
const char *names_snapshot_reason(uint64_t reason);
/* "global", "stack", "tls", "register", "user" (SNAPSHOT_ROOTS.kind); "?" when out of range. */
const char *names_root_kind(uint64_t kind);
/* "exit", "_exit", "exec", "error"; "?" when out of range. */
const char *names_end_reason(uint64_t reason);

#endif /* HT_NAMES_H */
