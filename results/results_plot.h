/*
 * results_plot.h - the figures of results across runs, drawn by
 * `splsuite plot --history ROW` and `splsuite plot OLD.json NEW.json`.
 */
#ifndef SPLSUITE_RESULTS_PLOT_H
#define SPLSUITE_RESULTS_PLOT_H

#include "compare.h"
#include "history.h"

/* DIR/history-ROW.FMT: exit status (0 drawn, 1 failed, 2 usage). */
int results_plot_history(struct rdb *db, const char *row, const struct hist_query *q, const char *dir, const char *fmt);
/* DIR/compare.FMT: each row's change from OLD to NEW. */
int results_plot_compare(const char *old_path, const char *new_path, const struct cmp_opts *o, const char *dir,
                         const char *fmt);
/* Entry from cmd_plot for its --history and two-file forms (weak there). */
int results_plot_main(int argc, char **argv, const char *dir, const char *fmt, const char *history, const char *db,
                      const char *impl, const char *machine, bool cpu);

#endif
