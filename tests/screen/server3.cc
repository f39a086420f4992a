// SPDX-License-Identifier: MIT
//
// server3.cc - a C++ request loop with three bugs a server gets, and (with
// the argument "fixed") the same server with the three fixed:
//   1. LruCache::put never evicts: the capacity check is missing;
//   2. SessionStore::close forgets to erase: the session map only grows;
//   3. handle() leaks its request on the error path (every 16th request).
// One heaptrace_mark() per request.
//
//   server3 [REQUESTS [fixed]]   (default 4000)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <string>
#include <unordered_map>

#include <heaptrace.h>

class LruCache {
public:
    explicit LruCache(size_t capacity, bool evicts) : capacity_(capacity), evicts_(evicts) {}
    void put(const std::string &key, const std::string &value)
    {
        order_.push_front(key);
        items_[key] = value;
        if (evicts_ && order_.size() > capacity_) { // bug 1: without it, nothing leaves
            items_.erase(order_.back());
            order_.pop_back();
        }
    }
    size_t size() const { return items_.size(); }

private:
    size_t capacity_;
    bool evicts_;
    std::list<std::string> order_;
    std::unordered_map<std::string, std::string> items_;
};

struct Session {
    int user;
    char token[120];
};

class SessionStore {
public:
    explicit SessionStore(bool erases) : erases_(erases) {}
    void open(int id, int user)
    {
        Session s{};
        s.user = user;
        snprintf(s.token, sizeof(s.token), "token-%d-%d", id, user);
        sessions_[id] = s;
    }
    void close(int id)
    {
        if (erases_) // bug 2: without it, closed sessions stay in the map
            sessions_.erase(id);
    }
    size_t size() const { return sessions_.size(); }

private:
    bool erases_;
    std::map<int, Session> sessions_;
};

struct Request {
    int id;
    char body[200];
};

static LruCache *cache;
static SessionStore *sessions;

static int handle(int id, bool fixed)
{
    Request *req = new Request;
    req->id = id;
    memset(req->body, 'r', sizeof(req->body));
    if (id % 16 == 15) { // the error path
        if (fixed)
            delete req; // bug 3: without it, the request leaks
        return -1;
    }
    std::string page(200 + id % 50, 'x');
    cache->put("/page/" + std::to_string(id), page);
    sessions->open(id, id % 7);
    sessions->close(id);
    delete req;
    return 0;
}

int main(int argc, char **argv)
{
    int requests = argc > 1 ? atoi(argv[1]) : 4000;
    bool fixed = argc > 2 && strcmp(argv[2], "fixed") == 0;
    cache = new LruCache(64, fixed);
    sessions = new SessionStore(fixed);
    int errors = 0;
    for (int r = 0; r < requests; r++) {
        errors += handle(r, fixed) != 0;
        heaptrace_mark("request");
    }
    printf("server3: %d requests, %d errors, %zu cached pages, %zu sessions\n", requests, errors,
           cache->size(), sessions->size());
    delete sessions;
    delete cache;
    return 0;
}
