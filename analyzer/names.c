/* SPDX-License-Identifier: MIT */
/* names.c - see names.h. Tables indexed by the enums of format.h. */
#include <stdio.h>

#include "names.h"

#include <stddef.h>

#include "format.h"

const char *names_tag(uint8_t tag)
{
    if (tag >= HT_REC_ALLOC_BASE && tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_)
        return "ALLOC";
    switch (tag) {
    case HT_REC_HEADER: return "HEADER";
    case HT_REC_MODULES: return "MODULES";
    case HT_REC_STACK: return "STACK";
    case HT_REC_SWITCH: return "SWITCH";
    case HT_REC_TICK: return "TICK";
    case HT_REC_IGNORE: return "IGNORE";
    case HT_REC_GC_ALLOC: return "GC_ALLOC";
    case HT_REC_GC_FREE: return "GC_FREE";
    case HT_REC_GC_COLLECTION: return "GC_COLLECTION";
    case HT_REC_GC_LINK: return "GC_LINK";
    case HT_REC_GC_FINALIZER: return "GC_FINALIZER";
    case HT_REC_GC_FINALIZE_BEGIN: return "GC_FINALIZE_BEGIN";
    case HT_REC_GC_FINALIZE_END: return "GC_FINALIZE_END";
    case HT_REC_THREAD_START: return "THREAD_START";
    case HT_REC_THREAD_NAME: return "THREAD_NAME";
    case HT_REC_THREAD_EXIT: return "THREAD_EXIT";
    case HT_REC_THREAD_RELEASE: return "THREAD_RELEASE";
    case HT_REC_FREE: return "FREE";
    case HT_REC_REALLOC: return "REALLOC";
    case HT_REC_MMAP: return "MMAP";
    case HT_REC_MUNMAP: return "MUNMAP";
    case HT_REC_MREMAP: return "MREMAP";
    case HT_REC_OWNER_BEGIN: return "OWNER_BEGIN";
    case HT_REC_OWNER_END: return "OWNER_END";
    case HT_REC_OWNER_CLOSE: return "OWNER_CLOSE";
    case HT_REC_MARK: return "MARK";
    case HT_REC_RSS: return "RSS";
    case HT_REC_LOST: return "LOST";
    case HT_REC_FORK: return "FORK";
    case HT_REC_NOTE: return "NOTE";
    case HT_REC_SAMPLING: return "SAMPLING";
    case HT_REC_ATTACH: return "ATTACH";
    case HT_REC_EXEC: return "EXEC";
    case HT_REC_SNAPSHOT_BEGIN: return "SNAPSHOT_BEGIN";
    case HT_REC_SNAPSHOT_EDGES: return "SNAPSHOT_EDGES";
    case HT_REC_SNAPSHOT_ROOTS: return "SNAPSHOT_ROOTS";
    case HT_REC_SNAPSHOT_FRAMES: return "SNAPSHOT_FRAMES";
    case HT_REC_SNAPSHOT_END: return "SNAPSHOT_END";
    case HT_REC_END: return "END";
    default: return NULL;
    }
}

const char *names_alloc_fn(uint64_t fn)
{
    static const char *const names[HT_FN_COUNT_] = {
        "malloc", "calloc", "posix_memalign", "aligned_alloc", "memalign",
        "valloc", "pvalloc", "reallocarray", "custom", "inherited",
    };
    return fn < HT_FN_COUNT_ ? names[fn] : "?";
}

const char *names_owner_kind(uint64_t kind)
{
    static const char *const names[HT_OWNER_KIND_COUNT_] = {
        "iconv_open", "fopen", "opendir", "regcomp", "newlocale", "thread",
    };
    return kind < HT_OWNER_KIND_COUNT_ ? names[kind] : "?";
}

const char *names_owner_type(uint64_t kind)
{
    static const char *const types[HT_OWNER_KIND_COUNT_] = {
        "iconv_t", "FILE *", "DIR *", "regex_t", "locale_t", "unjoined thread",
    };
    return kind < HT_OWNER_KIND_COUNT_ ? types[kind] : "?";
}

const char *names_snapshot_reason(uint64_t reason)
{
    static const char *const names[] = {"exit", "api", "signal", "interval", "marks"};
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

const char *names_root_kind(uint64_t kind)
{
    static const char *const names[HT_ROOT_KIND_COUNT_] = {"global", "stack", "tls", "register",
                                                           "user",   "mapping", "before_attach"};
    return kind < HT_ROOT_KIND_COUNT_ ? names[kind] : "?";
}

const char *names_end_reason(uint64_t reason)
{
    static const char *const names[] = {"exit", "_exit", "exec", "error", "detach"};
    static char sig[32];
    if (reason < sizeof(names) / sizeof(names[0]))
        return names[reason];
    if (reason > HT_END_SIGNAL && reason < HT_END_SIGNAL + 65) {
        snprintf(sig, sizeof sig, "signal %u", (unsigned)(reason - HT_END_SIGNAL));
        return sig; /* not reentrant; the analyzer is single-threaded */
    }
    return "?";
}
