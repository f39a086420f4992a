// SPDX-License-Identifier: MIT
//
// exact_accounting_cxx.cc - C++ new/delete, new[]/delete[] in counts and
// sizes the test knows, reaching the shim through libstdc++'s malloc/free.
// Sizes are distinctive (see exact_accounting.c for the band idea):
//
//   new char[1200 + k]        k < 400      -> 400 x malloc in [1200,1600)
//   new Blob<2345>            300 times    -> 300 x malloc of exactly 2345
//   new Counted[10]           200 times    -> 200 x malloc of 10*336 + 8
//                                             (the array cookie of a type
//                                             with a destructor)
//   std::vector<Blob<3777>>   reserve(3)   -> 100 x malloc of exactly 11331
//
// Everything is deleted again, half of it in reverse order.
#include <cstdio>
#include <memory>
#include <vector>

template <unsigned N> struct Blob {
    char bytes[N];
};

struct Counted {
    static unsigned live;
    char bytes[336];
    Counted() { ++live; bytes[0] = 1; }
    ~Counted() { --live; }
};
unsigned Counted::live = 0;

static_assert(sizeof(Counted) == 336, "Counted must be 336 bytes");

int main()
{
    std::vector<char *> arrays;
    for (unsigned k = 0; k < 400; k++) {
        char *p = new char[1200 + k];
        p[0] = static_cast<char>(k);
        arrays.push_back(p);
    }
    unsigned long sum = 0;
    for (unsigned k = 0; k < 400; k += 2)
        sum += static_cast<unsigned char>(arrays[k][0]);
    for (unsigned k = 400; k-- > 0;)
        delete[] arrays[k];

    for (unsigned k = 0; k < 300; k++) {
        Blob<2345> *b = new Blob<2345>;
        b->bytes[0] = 'b';
        sum += static_cast<unsigned char>(b->bytes[0]);
        delete b;
    }

    std::vector<Counted *> counted;
    for (unsigned k = 0; k < 200; k++)
        counted.push_back(new Counted[10]);
    sum += Counted::live;
    for (Counted *c : counted)
        delete[] c;

    for (unsigned k = 0; k < 100; k++) {
        std::vector<Blob<3777>> v;
        v.reserve(3);
        sum += v.capacity();
    }

    std::printf("cxx sum %lu live %u\n", sum, Counted::live);
    return 0;
}
