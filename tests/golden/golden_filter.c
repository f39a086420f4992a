/* SPDX-License-Identifier: MIT */
/*
 * golden_filter.c - turns a heaptrace-report into the part a golden file
 * keeps: what the test program itself allocated, without the numbers that
 * change from run to run or machine to machine.
 *
 *     golden_filter text SOURCE...      < report.txt   (from --no-addresses)
 *     golden_filter json BUILD_DIR SRC_DIR < report.json
 *
 * A frame is the program's own when its file's basename is one of SOURCE
 * (text) or its module lies under BUILD_DIR (json: the test program and the
 * library it dlopens). A site is kept when its innermost frame is the
 * program's own, or only "operator new" frames come before one (C++ new goes
 * malloc <- libstdc++'s operator new <- the program). Kept stacks show only
 * the program's frames: libc's, ld.so's and libstdc++'s line numbers depend
 * on the debug info installed. The site numbering is the kept sites' own.
 *
 * Dropped (they depend on libc's own allocations, the clock, the pid or the
 * build): the report header and summary but for unknown frees and
 * truncation; the functions table of the text report and every "peak
 * contribution" (the global peak includes libc's stdout buffer, sized by the
 * file system); addresses, offsets, times, pids, the timeline; per-process
 * totals. JSON strings have BUILD_DIR replaced by @BUILD@ and SRC_DIR by
 * @SRC@. The JSON output is still JSON, one leaf object per line.
 *
 * Lost events are dropped too: the shim counts some around a dlopen, and
 * how many depends on timing (0, 2 or 4 in runs of the same dlopen_alloc).
 * A lost event of the program itself shows as a wrong count in a kept site,
 * which the diff catches.
 *
 * Input is the analyzer's own output, so the JSON reader is minimal: strings
 * are kept as written (escapes included), numbers as their text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *msg)
{
    fprintf(stderr, "golden_filter: %s\n", msg);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        die("out of memory");
    return p;
}

static char *slurp(FILE *in)
{
    size_t len = 0, cap = 1 << 16;
    char *buf = xrealloc(NULL, cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, in)) > 0) {
        len += got;
        if (cap - len < 2)
            buf = xrealloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    return buf;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_allocator_entry(const char *function)
{
    return function && starts_with(function, "operator new");
}

/* ==================================================================== text */

struct text_frame {
    char *line;
    bool own;
    bool allocator;
};

static const char *const *text_sources;

/* "      [(inlined) ]NAME[ (FILE:LINE)]": own when FILE is a test source. */
static struct text_frame text_frame_parse(char *line)
{
    struct text_frame f = {line, false, false};
    const char *name = line + strspn(line, " ");
    if (starts_with(name, "(inlined) "))
        name += strlen("(inlined) ");
    f.allocator = is_allocator_entry(name);
    const char *open = strrchr(line, '(');
    if (!open || open == line || open[-1] != ' ' || !strchr(open, ':'))
        return f;
    size_t len = strcspn(open + 1, ":");
    for (const char *const *src = text_sources; *src; src++)
        if (strlen(*src) == len && strncmp(open + 1, *src, len) == 0)
            f.own = true;
    return f;
}

/* A site ("  #N peak ...") or an owner entry: its header line and frames. */
static void text_entry(const char *head, const struct text_frame *frames, size_t n,
                       bool is_site, unsigned *kept)
{
    size_t first = 0;
    while (is_site && first < n && frames[first].allocator && !frames[first].own)
        first++;
    bool keep = first < n && frames[first].own;
    for (size_t i = 0; i < n && !is_site; i++)
        keep = keep || frames[i].own;
    if (!keep)
        return;
    const char *rank = strchr(head, '#');
    if (is_site && rank)
        printf("  #%u%s\n", ++*kept, rank + 1 + strspn(rank + 1, "0123456789"));
    else
        printf("%s\n", head);
    for (size_t i = 0; i < n; i++)
        if (frames[i].own)
            printf("%s\n", frames[i].line);
}

static int filter_text(char *buf)
{
    enum { OTHER, SUMMARY, SITES, FUNCTIONS, OWNERS, MARKS } section = OTHER;
    struct text_frame *frames = NULL;
    size_t n = 0, cap = 0;
    char *head = NULL;
    unsigned kept = 0;
    for (char *line = strtok(buf, "\n");; line = strtok(NULL, "\n")) {
        bool is_frame = line && starts_with(line, "      ");
        if (!is_frame && head) { /* the entry ends */
            text_entry(head, frames, n, section == SITES, &kept);
            head = NULL;
            n = 0;
        }
        if (!line)
            break;
        if (line[0] != ' ') { /* a heading */
            section = starts_with(line, "summary")            ? SUMMARY
                      : starts_with(line, "top sites")       ? SITES
                      : starts_with(line, "top functions")   ? FUNCTIONS
                      : starts_with(line, "owners")          ? OWNERS
                      : starts_with(line, "marks")           ? MARKS
                                                             : OTHER;
            if (section == SITES)
                printf("top sites by peak (the program's own)\n");
            else if (section == OWNERS || section == MARKS)
                printf("%s\n", line);
            continue;
        }
        if (starts_with(line, "  log truncated") || starts_with(line, "  unknown frees")) {
            printf("%s\n", line);
        } else if (is_frame && head) {
            if (n == cap)
                frames = xrealloc(frames, (cap = cap ? cap * 2 : 64) * sizeof(*frames));
            frames[n++] = text_frame_parse(line);
        } else if (section == SITES || section == OWNERS) {
            head = line;
        } else if (section == MARKS) {
            printf("%s\n", line);
        }
    }
    free(frames);
    return 0;
}

/* ==================================================================== json */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
    enum jtype type;
    char *text;         /* J_BOOL, J_NUM: as written; J_STR: unquoted, escapes kept */
    struct jval **items; /* J_ARR elements, J_OBJ values */
    char **keys;         /* J_OBJ */
    size_t n;
};

static const char *jp;

static void skip_ws(void)
{
    jp += strspn(jp, " \t\r\n");
}

static char *jstring_raw(void)
{
    if (*jp != '"')
        die("bad JSON: string expected");
    const char *start = ++jp;
    while (*jp && *jp != '"')
        jp += *jp == '\\' && jp[1] ? 2 : 1;
    if (!*jp)
        die("bad JSON: unterminated string");
    size_t len = (size_t)(jp++ - start);
    char *s = xrealloc(NULL, len + 1);
    memcpy(s, start, len);
    s[len] = '\0';
    return s;
}

static struct jval *jparse(void)
{
    struct jval *v = xrealloc(NULL, sizeof(*v));
    *v = (struct jval){0};
    skip_ws();
    if (*jp == '{' || *jp == '[') {
        bool obj = *jp++ == '{';
        v->type = obj ? J_OBJ : J_ARR;
        skip_ws();
        while (*jp != (obj ? '}' : ']')) {
            v->items = xrealloc(v->items, (v->n + 1) * sizeof(*v->items));
            if (obj) {
                skip_ws();
                v->keys = xrealloc(v->keys, (v->n + 1) * sizeof(*v->keys));
                v->keys[v->n] = jstring_raw();
                skip_ws();
                if (*jp++ != ':')
                    die("bad JSON: ':' expected");
            }
            v->items[v->n++] = jparse();
            skip_ws();
            if (*jp == ',')
                jp++;
            else if (*jp != (obj ? '}' : ']'))
                die("bad JSON: ',' or end of container expected");
            skip_ws();
        }
        jp++;
    } else if (*jp == '"') {
        v->type = J_STR;
        v->text = jstring_raw();
    } else {
        size_t len = strcspn(jp, ",}] \t\r\n");
        if (len == 0)
            die("bad JSON: value expected");
        v->type = starts_with(jp, "null") ? J_NULL : *jp == 't' || *jp == 'f' ? J_BOOL : J_NUM;
        v->text = xrealloc(NULL, len + 1);
        memcpy(v->text, jp, len);
        v->text[len] = '\0';
        jp += len;
    }
    return v;
}

static struct jval *jget(const struct jval *obj, const char *key)
{
    for (size_t i = 0; obj && obj->type == J_OBJ && i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

static const char *jget_str(const struct jval *obj, const char *key)
{
    const struct jval *v = jget(obj, key);
    return v && v->type == J_STR ? v->text : NULL;
}

/* Keeps only the keys listed (NULL-terminated), or drops them (keep false). */
static void jselect(struct jval *obj, const char *const *keys, bool keep)
{
    size_t out = 0;
    for (size_t i = 0; obj && obj->type == J_OBJ && i < obj->n; i++) {
        bool listed = false;
        for (const char *const *k = keys; *k; k++)
            listed = listed || strcmp(obj->keys[i], *k) == 0;
        if (listed == keep) {
            obj->keys[out] = obj->keys[i];
            obj->items[out++] = obj->items[i];
        }
    }
    if (obj && obj->type == J_OBJ)
        obj->n = out;
}

static void jfilter_array(struct jval *arr, bool (*keep)(struct jval *))
{
    size_t out = 0;
    for (size_t i = 0; arr && arr->type == J_ARR && i < arr->n; i++)
        if (keep(arr->items[i]))
            arr->items[out++] = arr->items[i];
    if (arr && arr->type == J_ARR)
        arr->n = out;
}

static const char *build_dir, *src_dir;

/* Every occurrence of FROM in S replaced by TO; S is freed. */
static char *replace_all(char *s, const char *from, const char *to)
{
    size_t flen = strlen(from), tlen = strlen(to);
    if (flen == 0 || !strstr(s, from))
        return s;
    char *out = xrealloc(NULL, strlen(s) * (tlen > flen ? tlen : flen) / flen + 1);
    char *o = out;
    for (const char *p = s, *hit; *p; p = hit + flen) {
        if (!(hit = strstr(p, from))) {
            strcpy(o, p);
            o += strlen(p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, tlen);
        o += tlen;
    }
    *o = '\0';
    free(s);
    return out;
}

static void jnormalize(struct jval *v)
{
    if (v->type == J_STR) {
        v->text = replace_all(v->text, build_dir, "@BUILD@");
        v->text = replace_all(v->text, src_dir, "@SRC@");
    }
    for (size_t i = 0; (v->type == J_ARR || v->type == J_OBJ) && i < v->n; i++)
        jnormalize(v->items[i]);
}

static bool frame_is_own(struct jval *f)
{
    const char *module = jget_str(f, "module");
    size_t len = strlen(build_dir);
    return module && strncmp(module, build_dir, len) == 0 && module[len] == '/';
}

static const char *const frame_dropped[] = {"address", "offset", NULL};

/* The stack's own frames, without addresses; true when there was one. */
static bool jstack_own(struct jval *entry)
{
    struct jval *stack = jget(entry, "stack");
    jfilter_array(stack, frame_is_own);
    for (size_t i = 0; stack && i < stack->n; i++)
        jselect(stack->items[i], frame_dropped, false);
    return stack && stack->n > 0;
}

static char **kept_functions;
static size_t nkept_functions;

static bool site_keep(struct jval *site)
{
    struct jval *stack = jget(site, "stack");
    size_t first = 0;
    while (stack && first < stack->n && !frame_is_own(stack->items[first]) &&
           is_allocator_entry(jget_str(stack->items[first], "function")))
        first++;
    if (!stack || first >= stack->n || !frame_is_own(stack->items[first]))
        return false;
    const char *innermost = jget_str(stack->items[0], "function");
    if (innermost) {
        kept_functions = xrealloc(kept_functions, (nkept_functions + 1) * sizeof(char *));
        kept_functions[nkept_functions++] = (char *)innermost;
    }
    static const char *const dropped[] = {"peak_contribution_bytes", NULL};
    jselect(site, dropped, false);
    return jstack_own(site);
}

static bool function_keep(struct jval *fn)
{
    const char *name = jget_str(fn, "function");
    static const char *const dropped[] = {"peak_contribution_bytes", NULL};
    jselect(fn, dropped, false);
    for (size_t i = 0; name && i < nkept_functions; i++)
        if (strcmp(name, kept_functions[i]) == 0)
            return true;
    return false;
}

static void jprint(const struct jval *v, int depth);

static bool jis_leaf(const struct jval *v)
{
    for (size_t i = 0; (v->type == J_ARR || v->type == J_OBJ) && i < v->n; i++)
        if (v->items[i]->type == J_ARR || v->items[i]->type == J_OBJ)
            return false;
    return true;
}

/* Containers of scalars on one line, the others one member per line. */
static void jprint(const struct jval *v, int depth)
{
    if (v->type == J_STR) {
        printf("\"%s\"", v->text);
        return;
    }
    if (v->type != J_ARR && v->type != J_OBJ) {
        fputs(v->text, stdout);
        return;
    }
    bool obj = v->type == J_OBJ, leaf = jis_leaf(v);
    putchar(obj ? '{' : '[');
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            putchar(',');
        if (!leaf)
            printf("\n%*s", depth + 1, "");
        if (obj)
            printf("\"%s\":", v->keys[i]);
        jprint(v->items[i], depth + 1);
    }
    putchar(obj ? '}' : ']');
}

static int filter_json(char *buf)
{
    jp = buf;
    struct jval *root = jparse();
    static const char *const top[] = {"format_version", "program", "summary", "sites",
                                      "functions", "owners", "marks", "marks_total",
                                      "processes", NULL};
    jselect(root, top, true);
    static const char *const program_dropped[] = {"pid", "ppid", NULL};
    jselect(jget(root, "program"), program_dropped, false);
    static const char *const summary_kept[] = {"log_complete", "truncation", "end_reason",
                                               "unknown_frees", NULL};
    jselect(jget(root, "summary"), summary_kept, true);
    jfilter_array(jget(root, "sites"), site_keep);
    jfilter_array(jget(root, "functions"), function_keep);
    jfilter_array(jget(root, "owners"), jstack_own);
    struct jval *owners = jget(root, "owners");
    static const char *const owner_dropped[] = {"last_close_s", NULL}; /* a time */
    for (size_t i = 0; owners && i < owners->n; i++)
        jselect(owners->items[i], owner_dropped, false);
    struct jval *marks = jget(root, "marks");
    static const char *const mark_dropped[] = {"t_s", NULL};
    for (size_t i = 0; marks && i < marks->n; i++)
        jselect(marks->items[i], mark_dropped, false);
    struct jval *procs = jget(root, "processes");
    static const char *const proc_kept[] = {"exe", "log_file", "log_complete", NULL};
    for (size_t i = 0; procs && i < procs->n; i++)
        jselect(procs->items[i], proc_kept, true);
    jnormalize(root);
    jprint(root, 0);
    putchar('\n');
    return 0; /* the process exits: the tree is not freed */
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "text") == 0) {
        text_sources = (const char *const *)argv + 2;
        return filter_text(slurp(stdin));
    }
    if (argc == 4 && strcmp(argv[1], "json") == 0) {
        build_dir = argv[2];
        src_dir = argv[3];
        return filter_json(slurp(stdin));
    }
    die("usage: golden_filter text SOURCE... | golden_filter json BUILD_DIR SRC_DIR");
}
