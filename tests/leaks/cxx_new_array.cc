// cxx_new_array: new[] of a class with a destructor puts an 8-byte count (the
// cookie) before the elements, so the pointer the program keeps is interior
// to the block. With --leak-check-heuristics=none (valgrind) and heaptrace's
// plain rules that block is possibly lost. new[] of a trivially destructible
// type has no cookie: its pointer is the block's start. Expect: possibly
// 8 + 4*24 = 104/1, reachable 4*24 = 96/1, definitely 8 + 2*24 = 56/1 (a lost
// new[] with a cookie).
#include "leak.h"
#include <cstring>
struct Obj {
    char bytes[24];
    Obj() { std::memset(bytes, 1, sizeof bytes); }
    ~Obj() { bytes[0] = 0; }
};
struct Plain { char bytes[24]; };
Obj *g_objs;
Plain *g_plain;
__attribute__((noinline)) static void make()
{
    g_objs = new Obj[4];
    g_plain = new Plain[4];
    Obj *volatile lost = new Obj[2];
    (void)lost;
}
int main()
{
    make();
    scrub();
    say("cxx_new_array\n");
    return 0;
}
