/* SPDX-License-Identifier: MIT */
/*
 * report_dump.h - `--dump`: every record of a log, one line each, in file
 * order. Used by tests and for debugging the recorder, so the line shape is
 * stable: "<record> @<offset> t=<us> th=<thread> <TAG> key=value...".
 */
#ifndef HT_REPORT_DUMP_H
#define HT_REPORT_DUMP_H

#include <stdio.h>

#include "reader.h"

/* Prints the HEADER and then every record. @return the reader's last rc (0 or -1). */
int dump_write(struct ht_reader *r, FILE *out);

/* Writes s[0, n) with non-printable bytes, '"' and '\\' escaped as \xNN. */
void dump_escaped(FILE *out, const char *s, size_t n);

#endif /* HT_REPORT_DUMP_H */
