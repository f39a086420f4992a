// cxx_objects: scalar new and a class holding pointers: a lost object owning
// two others (definitely 1 + indirectly 2), a reachable one in a global
// reaching a std::nothrow block. Expect: definitely 40/1, indirectly
// 16 + 16 = 32/2, reachable 40 + 16 = 56/2.
#include "leak.h"
#include <new>
struct Leaf { long v[2]; };
struct Node {
    Leaf *a, *b;
    long pad[3];
};
Node *g_node;
__attribute__((noinline)) static void make()
{
    Node *lost = new Node();
    lost->a = new Leaf();
    lost->b = new Leaf();
    g_node = new Node();
    g_node->a = new (std::nothrow) Leaf();
}
int main()
{
    make();
    scrub();
    say("cxx_objects\n");
    return 0;
}
