/* SPDX-License-Identifier: MIT */
/* suppress.c - see suppress.h. */
#include "suppress.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

enum supp_kind { SUPP_FUN, SUPP_OBJ, SUPP_SRC, SUPP_ANY };

struct supp_pattern {
    enum supp_kind kind;
    char *glob;
};

struct suppressions {
    struct supp_pattern *p;
    size_t n;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

struct suppressions *supp_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    static const struct {
        const char *prefix;
        enum supp_kind kind;
    } kinds[] = {{"fun:", SUPP_FUN}, {"obj:", SUPP_OBJ}, {"src:", SUPP_SRC}, {"leak:", SUPP_ANY}};
    struct suppressions *s = xcalloc(1, sizeof(*s));
    char buf[4096];
    unsigned lineno = 0;
    while (fgets(buf, sizeof(buf), f)) {
        lineno++;
        char *l = trim(buf);
        if (!*l || *l == '#')
            continue;
        size_t k;
        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            if (strncmp(l, kinds[k].prefix, strlen(kinds[k].prefix)) == 0)
                break;
        const char *glob = k < 4 ? trim(l + strlen(kinds[k].prefix)) : "";
        if (k == 4 || !*glob) {
            snprintf(err, errlen, "'%s':%u: expected fun:, obj:, src: or leak: and a pattern, got '%.60s'",
                     path, lineno, l);
            fclose(f);
            supp_free(s);
            return NULL;
        }
        s->p = xreallocarray(s->p, s->n + 1, sizeof(*s->p));
        s->p[s->n++] = (struct supp_pattern){kinds[k].kind, xstrdup(glob)};
    }
    fclose(f);
    return s;
}

static bool match(const char *glob, const char *v)
{
    return v && fnmatch(glob, v, 0) == 0;
}

bool supp_match_stack(const struct suppressions *s, const struct model_stack *st)
{
    if (!s || !st)
        return false;
    for (uint32_t i = 0; i < st->nframes; i++) {
        const struct sym_frame *f = &st->frames[i];
        for (size_t k = 0; k < s->n; k++) {
            const struct supp_pattern *p = &s->p[k];
            bool fun = p->kind == SUPP_FUN || p->kind == SUPP_ANY;
            bool obj = p->kind == SUPP_OBJ || p->kind == SUPP_ANY;
            bool src = p->kind == SUPP_SRC || p->kind == SUPP_ANY;
            if ((fun && match(p->glob, f->function)) || (obj && match(p->glob, f->module)) ||
                (src && match(p->glob, f->file)))
                return true;
        }
    }
    return false;
}

size_t supp_count(const struct suppressions *s)
{
    return s ? s->n : 0;
}

void supp_free(struct suppressions *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i].glob);
    free(s->p);
    free(s);
}
