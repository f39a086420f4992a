// cxx_strings: long std::strings (past the 15-byte small-string buffer) in
// a global vector and in a global unordered_map (destroyed at exit); a
// heap-allocated std::string and an unordered_map<int, std::string> of 8
// entries are lost with their storage (nodes, bucket array, string data).
// Expect: definitely 88/2, indirectly 917/18.
#include "leak.h"
#include <string>
#include <unordered_map>
#include <vector>
std::vector<std::string> g_strings;
std::unordered_map<int, std::string> g_umap;
__attribute__((noinline)) static void lose()
{
    auto *s = new std::string(100, 'x');
    auto *u = new std::unordered_map<int, std::string>;
    for (int i = 0; i < 8; i++)
        (*u)[i] = std::string(40, 'y');
    (void)s;
    (void)u;
}
int main()
{
    g_strings.reserve(20);
    for (int i = 0; i < 20; i++)
        g_strings.push_back(std::string(30 + i, 'a'));
    for (int i = 0; i < 12; i++)
        g_umap[i] = std::string(50, 'b');
    lose();
    scrub();
    say("cxx_strings\n");
    return 0;
}
