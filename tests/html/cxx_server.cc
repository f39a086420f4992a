// SPDX-License-Identifier: MIT
//
// cxx_server.cc - a C++ request loop with the growth a server gets when a
// cache never evicts: every request puts a fresh key into an "LRU" cache
// whose eviction compares the wrong size, so the cache only grows; a
// session map is swept correctly and stays bounded. One heaptrace_mark()
// per request, labelled with what would end the page's data if the report
// did not escape it.
//
//   cxx_server [REQUESTS]   (default 4000)
#include <cstdio>
#include <cstdlib>
#include <list>
#include <map>
#include <string>
#include <unordered_map>

#include <heaptrace.h>

class LruCache {
public:
    explicit LruCache(size_t capacity) : capacity_(capacity) {}
    void put(const std::string &key, const std::string &value)
    {
        order_.push_front(key);
        items_[key] = value;
        // the bug: capacity_ counts entries, this compares it with bytes
        if (order_.size() * 1024 * 1024 > capacity_ * 1024 * 1024 * 1024ul) {
            items_.erase(order_.back());
            order_.pop_back();
        }
    }
    size_t size() const { return items_.size(); }

private:
    size_t capacity_;
    std::list<std::string> order_;
    std::unordered_map<std::string, std::string> items_;
};

class Sessions {
public:
    void touch(int id, int now)
    {
        last_seen_[id] = now;
        for (auto it = last_seen_.begin(); it != last_seen_.end();)
            it = now - it->second > 50 ? last_seen_.erase(it) : std::next(it);
    }
    size_t size() const { return last_seen_.size(); }

private:
    std::map<int, int> last_seen_;
};

static std::string render_page(int request)
{
    std::string page(700 + request % 300, 'x');
    page += std::to_string(request);
    return page;
}

int main(int argc, char **argv)
{
    int requests = argc > 1 ? atoi(argv[1]) : 4000;
    LruCache cache(256);
    Sessions sessions;
    for (int r = 0; r < requests; r++) {
        std::string key = "/page/" + std::to_string(r);
        cache.put(key, render_page(r));
        sessions.touch(r % 97, r);
        // a label no page may take for markup: the report must escape it
        heaptrace_mark("request</script><!--");
    }
    printf("cxx_server: %d requests, %zu cached pages, %zu sessions\n", requests, cache.size(),
           sessions.size());
    return 0;
}
