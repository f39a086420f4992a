/* SPDX-License-Identifier: MIT */
/* test_userframe.c - which frame names a stack (userframe.h), stacks cut
 * at main, and the short names headlines use (report_short_name). */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "userframe.h"

#define FRAME(fn, file, line, mod) {fn, file, line, mod, 0x1000, 0x10, false}

int main(void)
{
    /* a C++ server's allocation: libstdc++, a system header, then the program */
    struct sym_frame cxx[] = {
        FRAME("operator new(unsigned long)", NULL, 0, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"),
        FRAME("std::__new_allocator<int>::allocate(unsigned long, void const*)",
              "/usr/include/c++/12/bits/new_allocator.h", 137, "/srv/server"),
        FRAME("LruCache::put(std::string const&)", "/src/server.cpp", 29, "/srv/server"),
        FRAME("main", "/src/server.cpp", 80, "/srv/server"),
        FRAME("__libc_start_call_main", "../sysdeps/nptl/libc_start_call_main.h", 58,
              "/lib/x86_64-linux-gnu/libc.so.6"),
        FRAME("_start", NULL, 0, "/srv/server"),
    };
    struct model_stack st = {cxx, 6, NULL};
    CHECK_EQ(userframe_index(&st), 2);
    CHECK(userframe_of(&st) == &cxx[2]);
    CHECK_EQ(userframe_trimmed_count(&st, 0), 4); /* nothing below main */
    CHECK_EQ(userframe_trimmed_count(&st, 2), 2); /* --frames 2 */
    CHECK(userframe_is_system(&cxx[0]) && userframe_is_system(&cxx[1]));
    CHECK(!userframe_is_system(&cxx[3]) && userframe_is_system(&cxx[5]));

    /* heaptrace's own frames are never the program's */
    struct sym_frame shim[] = {
        FRAME("heaptrace__mark", NULL, 0, "/opt/ht/libheaptrace.so"),
        FRAME("heaptrace_mark", "/opt/ht/include/heaptrace.h", 45, "/srv/app"),
        FRAME("serve", "/src/app.c", 12, "/srv/app"),
    };
    struct model_stack sh = {shim, 3, NULL};
    CHECK(userframe_is_heaptrace(&shim[0]) && userframe_is_heaptrace(&shim[1]));
    CHECK(userframe_of(&sh) == &shim[2]);

    /* only system code: the first frame that is not heaptrace's names it */
    struct sym_frame sys[] = {
        FRAME("heaptrace__alloc", NULL, 0, "/opt/ht/libheaptrace.so"),
        FRAME("__gconv_open", "gconv_open.c", 85, "/lib/x86_64-linux-gnu/libc.so.6"),
        FRAME("_dl_open", "dl-open.c", 884, "/lib64/ld-linux-x86-64.so.2"),
    };
    struct model_stack ss = {sys, 3, NULL};
    CHECK_EQ(userframe_index(&ss), (uint64_t)(int64_t)-1);
    CHECK(userframe_of(&ss) == &sys[1]);

    /* iconv_open called from the program: the library call is named */
    struct sym_frame ic[] = {
        FRAME("__gconv_open", "gconv_open.c", 85, "/lib/x86_64-linux-gnu/libc.so.6"),
        FRAME("iconv_open", "iconv_open.c", 39, "/lib/x86_64-linux-gnu/libc.so.6"),
        FRAME("port_open", "/src/weak_ports.c", 117, "/srv/weak_ports"),
    };
    struct model_stack is = {ic, 3, NULL};
    CHECK(strcmp(userframe_callee(&is), "iconv_open") == 0);

    /* python: main tail-called Py_BytesMain, the stack stops before libc */
    struct sym_frame py[] = {
        FRAME("PyUnicode_New", NULL, 0, "/usr/bin/python3.11"),
        FRAME("Py_BytesMain", NULL, 0, "/usr/bin/python3.11"),
        FRAME("__libc_start_call_main", "libc_start_call_main.h", 58,
              "/lib/x86_64-linux-gnu/libc.so.6"),
    };
    struct model_stack ps = {py, 3, NULL};
    CHECK_EQ(userframe_trimmed_count(&ps, 0), 2);
    CHECK(userframe_of(&ps) == &py[0] && !userframe_of(&ps)->file); /* no borrowed line */
    char buf[256];
    CHECK_HAS(report_frame_text(&py[0], buf, sizeof(buf)), "PyUnicode_New (no line info)");

    /* short names: no parameter list, long template arguments folded */
    CHECK(strcmp(report_short_name("LruCache::put(std::string const&)", buf, sizeof(buf)),
                 "LruCache::put") == 0);
    CHECK(strcmp(report_short_name("shapes::Grid<int>::resize(unsigned long)", buf, sizeof(buf)),
                 "shapes::Grid<int>::resize") == 0);
    CHECK(strcmp(report_short_name("std::map<int, Session, std::less<int>, "
                                   "std::allocator<std::pair<int const, Session> > >::operator[]"
                                   "(int const&)",
                                   buf, sizeof(buf)),
                 "std::map<...>::operator[]") == 0);
    CHECK(strcmp(report_short_name("(anonymous namespace)::f(int)", buf, sizeof(buf)),
                 "(anonymous namespace)::f") == 0);
    return check_exit();
}
