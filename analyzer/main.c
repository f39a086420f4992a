/* SPDX-License-Identifier: MIT */
/*
 * main.c - heaptrace-report's command line: options, which report to write,
 * and exit codes (0 ok, 2 usage or unreadable/corrupt input, 3 internal).
 * All analysis lives in ht_analyzer; this file only wires it together.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "report_dump.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: heaptrace-report [options] LOG\n"
    "       heaptrace-report --dump LOG\n";

static int die_usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "heaptrace-report: error: %s\n", msg);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Reader errors name the file once: "cannot open 'x': ..." already does. */
static void reader_error(const char *path, struct ht_reader *r)
{
    const char *msg = ht_reader_error(r);
    if (strncmp(msg, "cannot open", 11) == 0)
        fprintf(stderr, "heaptrace-report: error: %s\n", msg);
    else
        fprintf(stderr, "heaptrace-report: error: '%s': %s\n", path, msg);
}

static int run_dump(const char *path)
{
    struct ht_reader *r;
    if (ht_reader_open(&r, path) != 0) {
        reader_error(path, r);
        ht_reader_close(r);
        return EXIT_USAGE;
    }
    int rc = dump_write(r, stdout);
    if (rc < 0)
        reader_error(path, r);
    ht_reader_close(r);
    return rc < 0 ? EXIT_USAGE : 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dump", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool dump = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'D': dump = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return die_usage(NULL);
        }
    }
    if (optind != argc - 1)
        return die_usage("expected exactly one log file");
    if (dump)
        return run_dump(argv[optind]);
    return die_usage("nothing to do yet");
}
