/*
 * gnuplot.h - drawing through gnuplot: the one place that finds it, opens
 * the terminal of a figure and runs a script (splsuite plot's figures of a
 * run, of two runs, of a row's history).
 */
#ifndef SPLSUITE_GNUPLOT_H
#define SPLSUITE_GNUPLOT_H

#include <stdbool.h>
#include <stdio.h>

/* Whether an executable prog is in $PATH (spl_find_program). */
bool spl_in_path(const char *prog);
/* "set terminal ... set output DIR/NAME.FMT, title, key, grid" for fmt svg or
 * png, at width x height pixels. */
void spl_gp_term(FILE *gp, const char *dir, const char *name, const char *fmt, const char *title, int width,
                 int height);
/* Runs gnuplot on script; 0 when it exited 0 and left a non-empty DIR/NAME.FMT
 * (printed on stdout), else -1 with the reason on stderr. */
int spl_gp_run(const char *script, const char *dir, const char *name, const char *fmt);

#endif
