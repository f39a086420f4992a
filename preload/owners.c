/* SPDX-License-Identifier: MIT */
/*
 * owners.c - handle constructors and destructors ("dark matter").
 *
 * A handle such as iconv_t hides kilobytes of malloc behind an opaque value.
 * While a thread is inside a constructor, OWNER_BEGIN .. OWNER_END brackets
 * its allocations, and the analyzer tags them with the returned handle; the
 * destructor's OWNER_CLOSE ends the handle. Only the outermost constructor
 * counts (iconv_open may fopen its configuration).
 *
 * Adding a pair is two lines: OWNER_CTOR for the constructor's shape and
 * OWNER_DTOR for the destructor.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <iconv.h>
#include <locale.h>
#include <regex.h>
#include <stdio.h>

#include "ht.h"

/* 0: not traced; 1: nested inside another constructor; 2: outermost. */
static int owner_enter(unsigned kind)
{
    if (!ht_enter())
        return 0;
    struct ht_thread *t = ht_thread_get();
    int level = 0;
    if (t) {
        level = t->owner_depth++ == 0 ? 2 : 1;
        if (level == 2)
            ht_rec_owner_begin(kind);
    }
    ht_leave();
    return level;
}

static void owner_leave(int level, const void *handle)
{
    if (level == 0 || !ht_self)
        return;
    ht_self->owner_depth--;
    if (level == 2 && !ht_guard) {
        ht_guard = 1;
        ht_bookkeeping = 1;
        ht_errno = errno; /* the constructor's, for ht_leave to put back */
        ht_rec_simple(HT_REC_OWNER_END, 1, (uint64_t)(uintptr_t)handle, 0);
        ht_leave();
    }
}

static void owner_close(unsigned kind, const void *handle)
{
    if (handle && ht_enter()) {
        ht_rec_simple(HT_REC_OWNER_CLOSE, 2, kind, (uint64_t)(uintptr_t)handle);
        ht_leave();
    }
}

/* A constructor returning the handle; `failed` is its error value. */
#define OWNER_CTOR(kind, ret, name, failed, params, args)                                          \
    HT_EXPORT ret name params                                                                      \
    {                                                                                              \
        HT_NEXT(name);                                                                                \
        int level_ = owner_enter(kind);                                                            \
        ret h_ = real_##name args;                                                                 \
        owner_leave(level_, h_ == (failed) ? NULL : (const void *)h_);                            \
        return h_;                                                                                 \
    }

/* A destructor taking the handle first. */
#define OWNER_DTOR(kind, ret, name, params, args, handle)                                          \
    HT_EXPORT ret name params                                                                      \
    {                                                                                              \
        HT_NEXT(name);                                                                                \
        owner_close(kind, (const void *)(handle));                                                 \
        return real_##name args;                                                                   \
    }

OWNER_CTOR(HT_OWNER_ICONV, iconv_t, iconv_open, (iconv_t)-1, (const char *to, const char *from),
           (to, from))
OWNER_DTOR(HT_OWNER_ICONV, int, iconv_close, (iconv_t cd), (cd), cd)

OWNER_CTOR(HT_OWNER_FOPEN, FILE *, fopen, NULL, (const char *path, const char *mode), (path, mode))
OWNER_CTOR(HT_OWNER_FOPEN, FILE *, fopen64, NULL, (const char *path, const char *mode),
           (path, mode))
OWNER_CTOR(HT_OWNER_FOPEN, FILE *, fdopen, NULL, (int fd, const char *mode), (fd, mode))
OWNER_CTOR(HT_OWNER_FOPEN, FILE *, fmemopen, NULL, (void *buf, size_t size, const char *mode),
           (buf, size, mode))
OWNER_CTOR(HT_OWNER_FOPEN, FILE *, open_memstream, NULL, (char **ptr, size_t *size), (ptr, size))
OWNER_DTOR(HT_OWNER_FOPEN, int, fclose, (FILE * f), (f), f)

OWNER_CTOR(HT_OWNER_OPENDIR, DIR *, opendir, NULL, (const char *path), (path))
OWNER_CTOR(HT_OWNER_OPENDIR, DIR *, fdopendir, NULL, (int fd), (fd))
OWNER_DTOR(HT_OWNER_OPENDIR, int, closedir, (DIR * d), (d), d)

OWNER_CTOR(HT_OWNER_NEWLOCALE, locale_t, newlocale, (locale_t)0,
           (int mask, const char *locale, locale_t base), (mask, locale, base))
OWNER_CTOR(HT_OWNER_NEWLOCALE, locale_t, duplocale, (locale_t)0, (locale_t l), (l))
OWNER_DTOR(HT_OWNER_NEWLOCALE, void, freelocale, (locale_t l), (l), l)

/* regcomp fills a caller-owned regex_t: the handle is its address. */
HT_EXPORT int regcomp(regex_t *preg, const char *regex, int cflags)
{
    HT_NEXT(regcomp);
    int level = owner_enter(HT_OWNER_REGCOMP);
    int rc = real_regcomp(preg, regex, cflags);
    owner_leave(level, rc == 0 ? preg : NULL);
    return rc;
}
OWNER_DTOR(HT_OWNER_REGCOMP, void, regfree, (regex_t * preg), (preg), preg)
