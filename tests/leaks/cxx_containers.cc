// cxx_containers: a global std::vector of 100 ints, a std::map of 50 entries
// and a std::list of 30 entries (their destructors free them at exit, before
// either tool looks); a heap-allocated std::vector<int> of 64 elements and a
// std::map<int,int> of 10 nodes (owning objects) are lost, with everything
// they own indirectly lost. Expect: definitely 72/2 (the two owners),
// indirectly 656/11.
#include "leak.h"
#include <list>
#include <map>
#include <vector>
std::vector<int> g_vec;
std::map<int, long> g_map;
std::list<short> g_list;
__attribute__((noinline)) static void lose()
{
    auto *v = new std::vector<int>(64, 7);
    auto *m = new std::map<int, int>;
    for (int i = 0; i < 10; i++)
        (*m)[i] = i;
    (void)v;
    (void)m;
}
int main()
{
    g_vec.reserve(100);
    for (int i = 0; i < 100; i++)
        g_vec.push_back(i);
    for (int i = 0; i < 50; i++)
        g_map[i] = i;
    for (int i = 0; i < 30; i++)
        g_list.push_back((short)i);
    lose();
    scrub();
    say("cxx_containers\n");
    return 0;
}
