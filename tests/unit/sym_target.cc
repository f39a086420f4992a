// SPDX-License-Identifier: MIT
// sym_target.cc - an ELF file for test_symbolize (never run): a C++
// function in a namespace (demangling) and a C function.
namespace heaptrace_test {
__attribute__((noinline)) int grow(int x)
{
    return x * 3 + 1;
}
} // namespace heaptrace_test

extern "C" __attribute__((noinline)) int plain_function(int x)
{
    return heaptrace_test::grow(x) + 2;
}

int main(int argc, char **)
{
    return plain_function(argc);
}
