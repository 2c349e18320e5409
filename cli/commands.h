/*
 * commands.h - the subcommands splsuite dispatches to. Each part of the suite
 * implements its own in its directory; the CLI only parses the first word.
 */
#ifndef SPLSUITE_COMMANDS_H
#define SPLSUITE_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_torture(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_kcidb(int argc, char **argv);

#endif
