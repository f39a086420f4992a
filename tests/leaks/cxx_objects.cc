// cxx_objects: scalar new and a class holding pointers: a lost object owning
// two others (definitely 1 + indirectly 2), a reachable one in a global
// reaching a std::nothrow block. Expect: definitely 40/1, indirectly
// 16 + 16 = 32/2, reachable 40 + 16 = 56/2.
#include <unistd.h>
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
__attribute__((noinline)) static void scrub()
{
    volatile char buf[65536];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}
int main()
{
    make();
    scrub();
    ssize_t r = write(1, "cxx_objects\n", 12);
    (void)r;
    return 0;
}
