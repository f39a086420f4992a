/* SPDX-License-Identifier: MIT */
/* analysis.c - see analysis.h. */
#include "analysis.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gc.h"
#include "growth.h"
#include "leaks.h"
#include "retention.h"
#include "suspects.h"
#include "exitcode.h"
#include "xalloc.h"

void analysis_reader_error(const char *path, struct ht_reader *r)
{
    const char *msg = ht_reader_error(r);
    if (strncmp(msg, "cannot open", 11) == 0)
        fprintf(stderr, "heaptrace-report: error: %s\n", msg);
    else
        fprintf(stderr, "heaptrace-report: error: '%s': %s\n", path, msg);
}

int analysis_load(struct analysis **out, const char *path, const struct analysis_opts *o)
{
    struct analysis *a = xcalloc(1, sizeof(*a));
    *out = a;
    a->path = xstrdup(path);
    if (ht_reader_open(&a->reader, path) != 0) {
        analysis_reader_error(path, a->reader);
        return HT_EXIT_INPUT;
    }
    a->rp = replay_create(&o->replay);
    /* the analyses that follow the replay: gc before it applies an event,
     * then the leak classes, then the growth samples (which see them) */
    struct growth_recorder *gr = growth_recorder_create(a->rp);
    struct replay_listener gc = gc_listener(&a->gc), leaks = leaks_listener(&a->leaks),
                           growth = growth_recorder_listener(gr);
    replay_listen(a->rp, &gc);
    replay_listen(a->rp, &leaks);
    replay_listen(a->rp, &growth);
    if (replay_run(a->rp, a->reader) < 0) {
        growth_recorder_free(gr);
        analysis_reader_error(path, a->reader);
        return HT_EXIT_INPUT;
    }
    if (ht_reader_truncated(a->reader))
        fprintf(stderr, "heaptrace-report: warning: '%s' is truncated: %s\n", path,
                ht_reader_truncation(a->reader));
    if (ht_reader_warning(a->reader)[0])
        fprintf(stderr, "heaptrace-report: warning: '%s': %s\n", path,
                ht_reader_warning(a->reader));
    if (!o->no_symbols)
        a->sym = o->shared_sym ? o->shared_sym : sym_create(&o->sym);
    a->sym_owned = a->sym && !o->shared_sym;
    if (a->leaks && a->leaks->retention)
        retention_finish(a->leaks->retention, a->sym, a->rp);
    a->model = model_build(a->rp, ht_reader_header(a->reader), a->path,
                           ht_reader_truncation(a->reader), a->sym);
    a->model->leaks = a->leaks;
    a->model->exit_lost = leaks_exit_lost(a->leaks);
    gc_symbolize(a->gc, a->rp, a->sym);
    a->model->gc = a->gc;
    a->growth = growth_analyze(gr, a->model, o->growth);
    growth_add_retention(a->growth, a->model, o->growth);
    a->model->growth = a->growth;
    growth_recorder_free(gr);
    a->suspects = suspects_build(a->model);
    a->model->suspects = a->suspects;
    return 0;
}

void analysis_free(struct analysis *a)
{
    if (!a)
        return;
    model_free(a->model);
    suspects_free(a->suspects);
    growth_result_free(a->growth);
    leaks_free(a->leaks);
    gc_free(a->gc);
    if (a->sym_owned)
        sym_free(a->sym);
    replay_free(a->rp);
    ht_reader_close(a->reader);
    free(a->path);
    free(a);
}

/* ------------------------------------------------------------ process tree */

struct candidate {
    char *path;
    struct ht_header_lite {
        uint64_t pid, ppid, start;
        char *log_path, *parent_log;
    } h;
    bool taken;
};

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool is_child(const struct ht_header *p, const struct ht_header_lite *c)
{
    if (c->start < p->start_unix_ns)
        return false;
    if (c->parent_log[0] && (strcmp(c->parent_log, p->log_path) == 0 ||
                             strcmp(base_name(c->parent_log), base_name(p->log_path)) == 0))
        return true;
    if (c->parent_log[0])
        return false; /* names another parent */
    return c->ppid == p->pid || (c->pid == p->pid && c->start > p->start_unix_ns);
}

/* Headers of the other heaptrace logs in path's directory. */
static struct candidate *scan_dir(const char *path, size_t *count)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    else
        strcpy(dir, ".");
    struct candidate *c = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    struct stat self, st;
    if (!d || stat(path, &self) != 0) {
        if (d)
            closedir(d);
        free(dir);
        *count = 0;
        return NULL;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full = xmalloc(len);
        snprintf(full, len, "%s/%s", dir, e->d_name);
        struct ht_reader *r = NULL;
        if (e->d_name[0] == '.' || stat(full, &st) != 0 || !S_ISREG(st.st_mode) ||
            (st.st_ino == self.st_ino && st.st_dev == self.st_dev) ||
            ht_reader_open(&r, full) != 0) {
            ht_reader_close(r);
            free(full);
            continue;
        }
        const struct ht_header *h = ht_reader_header(r);
        c = xreallocarray(c, n + 1, sizeof(*c));
        c[n++] = (struct candidate){.path = full, .h = {h->pid, h->ppid, h->start_unix_ns,
                                                        xstrdup(h->log_path),
                                                        xstrdup(h->parent_log)}};
        ht_reader_close(r);
    }
    closedir(d);
    free(dir);
    *count = n;
    return c;
}

static int candidate_cmp(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->h.start != b->h.start)
        return a->h.start < b->h.start ? -1 : 1;
    return strcmp(a->path, b->path);
}

static void tree_add(struct analysis_tree *t, struct analysis *a)
{
    t->procs = xreallocarray(t->procs, t->n + 1, sizeof(*t->procs));
    t->procs[t->n++] = a;
}

static void warn_missing_children(const struct analysis_tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct ht_header *h = t->procs[i]->model->hdr;
        if (!(h->flags & HT_FLAG_FOLLOW_FORK))
            continue;
        const struct replay *rp = t->procs[i]->rp;
        for (uint64_t k = 0; k < rp->nforks; k++) {
            bool found = false;
            for (size_t j = 0; j < t->n && !found; j++)
                found = t->procs[j]->model->hdr->pid == rp->fork_pids[k];
            if (!found)
                fprintf(stderr,
                        "heaptrace-report: warning: no log for child process %" PRIu64
                        " (forked by pid %" PRIu64 ")\n",
                        rp->fork_pids[k], h->pid);
        }
    }
}

/* Adds the children of t->procs[from..] breadth first. */
/*
 * Progress on stderr while a tree's logs are read: only on a terminal, and
 * only once the reading has taken a second (a make or a pyenv shim leaves
 * dozens of logs); the line is erased when done.
 */
struct progress {
    bool tty, shown;
    struct timespec start;
};

static double progress_elapsed(const struct progress *p)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - p->start.tv_sec) + (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
}

static void progress_show(struct progress *p, size_t done, const char *path)
{
    if (!p->tty || progress_elapsed(p) < 1.0)
        return;
    fprintf(stderr, "\rheaptrace-report: %zu logs of the process tree read, now %s\033[K", done,
            base_name(path));
    p->shown = true;
}

static void progress_end(struct progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
}

static int tree_collect(struct analysis_tree *t, struct candidate *c, size_t nc,
                        const struct analysis_opts *o)
{
    struct progress prog = {.tty = isatty(STDERR_FILENO) != 0};
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    if (nc)
        qsort(c, nc, sizeof(*c), candidate_cmp);
    for (size_t p = 0; p < t->n; p++) {
        const struct ht_header *ph = t->procs[p]->model->hdr;
        for (size_t i = 0; i < nc; i++) {
            if (c[i].taken || !is_child(ph, &c[i].h))
                continue;
            c[i].taken = true;
            progress_show(&prog, t->n, c[i].path);
            struct analysis *a;
            int rc = analysis_load(&a, c[i].path, o);
            if (rc) {
                analysis_free(a);
                fprintf(stderr, "heaptrace-report: warning: skipping child log '%s'\n",
                        c[i].path);
                continue;
            }
            tree_add(t, a);
        }
    }
    progress_end(&prog);
    return 0;
}

/* Whether image m matches --pid and --program (a prefix of the program's name). */
static bool image_matches(const struct model *m, const struct analysis_opts *o)
{
    if (o->has_pid && m->hdr->pid != o->pid)
        return false;
    return !o->program || strncmp(base_name(m->hdr->exe), o->program, strlen(o->program)) == 0;
}

/* --pid / --program: the first matching image (a pid that exec'd has several). */
static int tree_select(struct analysis_tree *t, const struct analysis_opts *o, const char *path)
{
    size_t matches = 0;
    for (size_t i = t->n; i-- > 0;)
        if (image_matches(t->models[i], o)) {
            t->selected = i;
            matches++;
        }
    if (!matches) {
        char what[256];
        if (o->has_pid && o->program)
            snprintf(what, sizeof(what), "process %" PRIu64 " running '%s'", o->pid, o->program);
        else if (o->has_pid)
            snprintf(what, sizeof(what), "process %" PRIu64, o->pid);
        else
            snprintf(what, sizeof(what), "process running '%s'", o->program);
        fprintf(stderr, "heaptrace-report: error: no %s in the process tree of '%s'\n", what,
                path);
        return HT_EXIT_INPUT;
    }
    if (matches > 1)
        fprintf(stderr, "heaptrace-report: note: %zu images match; showing pid %" PRIu64
                        " (%s): --pid PID:PROGRAM picks another\n",
                matches, t->models[t->selected]->hdr->pid,
                base_name(t->models[t->selected]->hdr->exe));
    return 0;
}

int analysis_tree_load(struct analysis_tree **out, const char *path,
                       const struct analysis_opts *given)
{
    struct analysis_tree *t = xcalloc(1, sizeof(*t));
    *out = t;
    /* one symbolizer for the tree: a binary's symbols are read once */
    struct analysis_opts shared = *given;
    const struct analysis_opts *o = &shared;
    if (!given->no_symbols && !given->shared_sym)
        shared.shared_sym = t->sym = sym_create(&given->sym);
    struct analysis *root;
    int rc = analysis_load(&root, path, o);
    tree_add(t, root);
    if (rc)
        return rc;
    if (!o->no_children) {
        size_t nc;
        struct candidate *c = scan_dir(path, &nc);
        tree_collect(t, c, nc, o);
        for (size_t i = 0; i < nc; i++) {
            free(c[i].path);
            free(c[i].h.log_path);
            free(c[i].h.parent_log);
        }
        free(c);
        warn_missing_children(t);
    }
    t->models = xcalloc(t->n, sizeof(*t->models));
    for (size_t i = 0; i < t->n; i++)
        t->models[i] = t->procs[i]->model;
    t->show_all = !o->has_pid && !o->program;
    if (!t->show_all)
        return tree_select(t, o, path);
    return 0;
}

struct model *analysis_tree_selected(const struct analysis_tree *t)
{
    return t->models[t->selected];
}

void analysis_tree_free(struct analysis_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        analysis_free(t->procs[i]);
    sym_free(t->sym); /* after every analysis: their frames' strings live in it */
    free(t->procs);
    free(t->models);
    free(t);
}
