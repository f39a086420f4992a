// cxx_shared_cycle: two objects owning each other through std::shared_ptr
// (a reference cycle, never freed) are lost once the last outside
// shared_ptr goes; a weak_ptr-broken pair is freed; a unique_ptr in a
// global is freed by its destructor at exit. Expect: definitely 72/1,
// indirectly 72/1 (one control block with its object leads the cycle).
#include "leak.h"
#include <memory>
struct node {
    std::shared_ptr<node> other;
    std::weak_ptr<node> weak;
    char pad[24];
};
std::unique_ptr<node> g_kept;
__attribute__((noinline)) static void lose()
{
    auto a = std::make_shared<node>();
    auto b = std::make_shared<node>();
    a->other = b;
    b->other = a;
}
__attribute__((noinline)) static void no_leak()
{
    auto a = std::make_shared<node>();
    auto b = std::make_shared<node>();
    a->other = b;
    b->weak = a;
}
int main()
{
    lose();
    no_leak();
    g_kept = std::make_unique<node>();
    scrub();
    say("cxx_shared_cycle\n");
    return 0;
}
