// SPDX-License-Identifier: MIT
//
// cxx_inline.cc - demangled C++ names (a namespace, a class template, an
// overloaded operator) and an inlined frame: make_cell() is always_inline
// and calls new, so at -O2 the allocation's innermost frame is the inlined
// make_cell inside its caller, and the report must say so ("inlined":true).
#include <cstdio>
#include <new>

namespace shapes {

struct Cell {
    long value;
    long pad[3];
};

// Always inlined into its callers: the frame exists only in DWARF.
__attribute__((always_inline)) inline Cell *make_cell(long v)
{
    Cell *c = new Cell;
    c->value = v;
    return c;
}

template <typename T> class Grid {
public:
    Grid() : cells_(nullptr), n_(0) {}
    ~Grid() { delete[] cells_; }
    __attribute__((noinline)) void resize(unsigned long n);
    T sum() const
    {
        T s = 0;
        for (unsigned long i = 0; i < n_; i++)
            s += cells_[i];
        return s;
    }

private:
    T *cells_;
    unsigned long n_;
};

template <typename T> void Grid<T>::resize(unsigned long n)
{
    T *fresh = new T[n]();
    for (unsigned long i = 0; i < n && i < n_; i++)
        fresh[i] = cells_[i];
    delete[] cells_;
    cells_ = fresh;
    n_ = n;
}

__attribute__((noinline)) Cell *fill(Cell **out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = make_cell(i);
    return out[0];
}

} // namespace shapes

static shapes::Cell *cells[12];

int main()
{
    shapes::Grid<int> gi;
    for (unsigned long n = 100; n <= 400; n += 100)
        gi.resize(n);
    shapes::Grid<double> gd;
    gd.resize(50);
    shapes::fill(cells, 12);
    for (int i = 0; i < 5; i++)
        delete cells[i];
    std::printf("cxx_inline: %d %g %ld\n", gi.sum(), gd.sum(), cells[11]->value);
    return 0; // 7 cells leak
}
