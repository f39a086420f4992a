/* SPDX-License-Identifier: MIT */
/* userframe.c - see userframe.h. */
#include "userframe.h"

#include <string.h>

#include "symbolize.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

bool userframe_is_heaptrace(const struct sym_frame *f)
{
    if (sym_frame_is_shim(f))
        return true;
    if (f->function && has_prefix(f->function, "heaptrace_"))
        return true;
    if (f->file) {
        size_t n = strlen(f->file);
        static const char api[] = "include/heaptrace.h";
        if (n >= sizeof(api) - 1 && strcmp(f->file + n - (sizeof(api) - 1), api) == 0)
            return true;
    }
    return false;
}

static bool runtime_module(const char *module)
{
    static const char *const libs[] = {
        "ld-linux", "ld-", "libc.so", "libc-", "libm.so", "libm-", "libpthread", "libdl.so",
        "libdl-", "librt", "libstdc++", "libgcc_s", "libc++", "libc++abi", "libmvec",
        "libresolv", "libnss_", "libanl", "libutil.so", "libutil-"};
    const char *base = base_of(module);
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
        if (has_prefix(base, libs[i]))
            return true;
    return strstr(module, "/gconv/") != NULL;
}

static bool system_header(const char *file)
{
    return has_prefix(file, "/usr/include/") || has_prefix(file, "/usr/lib/gcc/") ||
           strstr(file, "/include/c++/") != NULL;
}

bool userframe_is_main_or_below(const struct sym_frame *f)
{
    if (!f->function)
        return false;
    return strcmp(f->function, "main") == 0 || strcmp(f->function, "_start") == 0 ||
           strcmp(f->function, "__libc_start_main") == 0 ||
           strcmp(f->function, "__libc_start_main_impl") == 0 ||
           strcmp(f->function, "__libc_start_call_main") == 0;
}

bool userframe_is_system(const struct sym_frame *f)
{
    if (userframe_is_heaptrace(f))
        return true;
    if (f->module && runtime_module(f->module))
        return true;
    if (f->file && system_header(f->file))
        return true;
    return userframe_is_main_or_below(f) && strcmp(f->function, "main") != 0;
}

int32_t userframe_index(const struct model_stack *st)
{
    for (uint32_t i = 0; i < st->nframes; i++)
        if (!userframe_is_system(&st->frames[i]))
            return (int32_t)i;
    return -1;
}

const struct sym_frame *userframe_of(const struct model_stack *st)
{
    if (!st || !st->nframes)
        return NULL;
    int32_t u = userframe_index(st);
    if (u >= 0)
        return &st->frames[u];
    for (uint32_t i = 0; i < st->nframes; i++)
        if (!userframe_is_heaptrace(&st->frames[i]))
            return &st->frames[i];
    return &st->frames[0];
}

const char *userframe_callee(const struct model_stack *st)
{
    int32_t u = st ? userframe_index(st) : -1;
    if (u <= 0)
        return NULL;
    /* the outermost system frame inside the user frame: what the program called */
    const struct sym_frame *f = &st->frames[u - 1];
    return f->function && !userframe_is_heaptrace(f) ? f->function : NULL;
}

uint32_t userframe_trimmed_count(const struct model_stack *st, uint32_t max_frames)
{
    uint32_t n = st->nframes;
    for (uint32_t i = 0; i < st->nframes; i++) {
        const struct sym_frame *f = &st->frames[i];
        if (f->function && strcmp(f->function, "main") == 0) {
            /* main's own frame, and main's inlined callees before it */
            n = i + 1;
            break;
        }
        if (i > 0 && userframe_is_main_or_below(f)) {
            n = i; /* main called its callee last (a tail call): no frame of its own */
            break;
        }
    }
    if (max_frames && n > max_frames)
        n = max_frames;
    return n;
}
