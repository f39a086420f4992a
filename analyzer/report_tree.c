/* SPDX-License-Identifier: MIT */
/*
 * report_tree.c - a process tree's report (analysis.h, struct
 * analysis_tree): the text report (the tree's verdict, one line per
 * process, the summed leaks, then each process with something to say) and
 * the JSON report of the selected process with the tree's summary.
 * analysis.c loads the tree; this file only renders it.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>

#include "analysis.h"
#include "leaks.h"
#include "xalloc.h"

/*
 * The processes the report's "leaks" sums: with --pid (or a lone log) the
 * process reported, if it has a complete snapshot; for a tree, every image
 * that ended (not one replaced by exec) with a complete snapshot, as
 * valgrind --trace-children=yes prints one leak summary per process that
 * ends. *tree says which. The caller frees the array.
 */
static struct model **leak_set(const struct analysis_tree *t, size_t *n, bool *tree)
{
    struct model **v = xcalloc(t->n, sizeof(*v));
    *n = 0;
    *tree = t->show_all && t->n > 1;
    for (size_t i = 0; i < t->n; i++) {
        const struct model *m = t->models[i];
        if (!*tree && i != t->selected)
            continue;
        if (!m->leaks || !m->leaks->valid || (*tree && m->rp->tot.exec_replaced))
            continue;
        v[(*n)++] = t->models[i];
    }
    return v;
}

void report_tree_text(const struct analysis_tree *t, const struct report_opts *o, FILE *out)
{
    size_t nl;
    bool tree;
    struct model **ls = leak_set(t, &nl, &tree);
    size_t quiet = 0;
    if (tree) { /* summary first: the verdict, one line per process, the tree's leaks */
        fprintf(out, "heaptrace report: process tree of %s (pid %" PRIu64 "), %zu processes\n",
                t->models[0]->hdr->exe, t->models[0]->hdr->pid, t->n);
        report_tree_suspects(t->models, t->n, o, out);
        report_text_processes(t->models, t->n, out);
        report_leaks_text(out, o, ls, nl, true);
    } else if (t->n > 1) {
        report_text_processes(t->models, t->n, out);
    }
    for (size_t i = 0, shown = 0; i < t->n; i++) {
        if (i != t->selected && !t->show_all)
            continue;
        /* in a tree, only the processes with something to say (all with --full) */
        if (tree && !o->full && !report_text_has_news(t->models[i])) {
            quiet++;
            continue;
        }
        if (shown++ || tree)
            fputc('\n', out);
        report_text(t->models[i], o, tree, out);
    }
    if (quiet)
        fprintf(out, "\n%zu process%s without a suspect in the program's own code: a line each "
                     "above (--full, or --pid PID, for the details)\n",
                quiet, quiet == 1 ? "" : "es");
    free(ls);
}

void report_tree_json(const struct analysis_tree *t, const struct report_opts *o, FILE *out)
{
    struct report_leak_set set;
    struct model **ls = leak_set(t, &set.n, &set.tree);
    set.procs = ls;
    report_json(analysis_tree_selected(t), o, t->models, t->n, &set, out);
    free(ls);
}
