/* SPDX-License-Identifier: MIT */
/*
 * userframe.h - which frames of a stack are the program's own code.
 *
 * A frame is SYSTEM when any of these holds:
 *   - it is heaptrace's: the shim's module (libheaptrace*), a function named
 *     heaptrace_* or heaptrace__*, or the inline client API's header
 *     (include/heaptrace.h);
 *   - its module is the C or C++ runtime: the dynamic loader (ld-linux*,
 *     ld-*.so*), libc, libm, libpthread, libdl, librt, libstdc++, libgcc_s,
 *     libc++, libc++abi, or a gconv module (a path with /gconv/);
 *   - its source file is a system header (under /usr/include/ or
 *     /usr/lib/gcc/, or a C++ library header under .../include/c++/), so a
 *     std::vector::push_back inlined into the program is not its code;
 *   - it lies below main: _start, __libc_start_main, __libc_start_call_main.
 * Every other frame is the program's own (its executable and its own
 * libraries), with or without line information.
 *
 * Pure functions of the frames: no state, no output.
 */
#ifndef HT_USERFRAME_H
#define HT_USERFRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* True for a frame of heaptrace itself (the shim, its client API). */
bool userframe_is_heaptrace(const struct sym_frame *f);

/* True for a frame that is not the program's own code (rules above). */
bool userframe_is_system(const struct sym_frame *f);

/* True for main and the frames the runtime puts below it. */
bool userframe_is_main_or_below(const struct sym_frame *f);

/*
 * The index in st of the first frame (innermost first) in the program's
 * own code, or -1 when every frame is a system frame.
 */
int32_t userframe_index(const struct model_stack *st);

/*
 * The frame that names a stack for people: the first user frame, else the
 * first frame that is not heaptrace's, else frames[0]. NULL only for a
 * stack without frames.
 */
const struct sym_frame *userframe_of(const struct model_stack *st);

/*
 * The system function the user frame called into ("iconv_open" for a
 * buffer gconv allocates under iconv_open): the frame just inside the user
 * frame, when that one is a system frame with a name. NULL otherwise.
 */
const char *userframe_callee(const struct model_stack *st);

/*
 * How many of st's frames a trimmed stack prints: everything up to and
 * including main (nothing below it; when main left no frame, as python's
 * tail call to Py_BytesMain, nothing from __libc_start_call_main on), at
 * most max_frames when that is not 0.
 */
uint32_t userframe_trimmed_count(const struct model_stack *st, uint32_t max_frames);

#endif /* HT_USERFRAME_H */
