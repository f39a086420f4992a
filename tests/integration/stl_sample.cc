// SPDX-License-Identifier: MIT
// stl_sample.cc - not run: compiled by g++ under the shim (integ_gxx_stl), so
// cc1plus instantiates a good part of the STL and allocates millions of times.
#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

struct Item {
    std::string name;
    std::vector<int> values;
};

std::map<std::string, std::size_t> histogram(const std::vector<Item> &items);

std::map<std::string, std::size_t> histogram(const std::vector<Item> &items)
{
    std::unordered_map<std::string, std::size_t> counts;
    std::regex word("[a-z]+");
    for (const Item &it : items) {
        for (auto m = std::sregex_iterator(it.name.begin(), it.name.end(), word);
             m != std::sregex_iterator(); ++m)
            counts[m->str()] += it.values.size();
    }
    std::map<std::string, std::size_t> sorted(counts.begin(), counts.end());
    std::vector<std::shared_ptr<Item>> copies;
    for (const Item &it : items)
        copies.push_back(std::make_shared<Item>(it));
    std::sort(copies.begin(), copies.end(),
              [](const auto &a, const auto &b) { return a->name < b->name; });
    std::ostringstream os;
    for (const auto &c : copies)
        os << c->name << ' ';
    sorted[os.str()] = copies.size();
    return sorted;
}
