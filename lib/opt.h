/*
 * opt.h - one option table per command: the parser, the defaults and the
 * --help text come from the same rows, so they cannot drift apart (the idea
 * of glibc's argp as libbpf-tools use it, on getopt_long).
 *
 * Every value is parsed strictly and the same way in every command: numbers
 * are decimal (or 0x hex) digits only, in a range; durations are a number and
 * a unit (ns us ms s m h; bare = seconds) under an upper bound; sizes take
 * k/M/G/T (powers of 1024); a choice or a list item must be one of the names.
 * A bad value is one line on stderr naming the option, then "see --help",
 * and exit status 2:
 *
 *   splsuite bench: --repetitions '3x': not a whole number; see 'splsuite bench --help'
 *
 *   static unsigned workers;
 *   static const struct spl_opt opts[] = {
 *       {"workers", 'w', SPL_OPT_UINT, SPL_OPT_DEST(workers), "N", "processes per rule", .def = "4", .min = 2, .max = 256},
 *       ...
 *       {0},
 *   };
 *   static const struct spl_cmd cmd = {.name = "conform", .opts = opts, ...};
 *   int first, rc = spl_opt_parse(&cmd, argc, argv, &first);
 *   if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
 */
#ifndef SPLSUITE_OPT_H
#define SPLSUITE_OPT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum spl_opt_type {
    SPL_OPT_FLAG,     /* bool, no argument */
    SPL_OPT_STR,      /* const char *: any text (an implementation, a path, a glob) */
    SPL_OPT_UINT,     /* unsigned integer of dsize bytes, in [min, max] */
    SPL_OPT_DURATION, /* uint64_t nanoseconds, in [min, max] (max 0: 30 days) */
    SPL_OPT_SIZE,     /* uint64_t bytes, in [min, max] */
    SPL_OPT_CHOICE,   /* int: index of the value in choices */
    SPL_OPT_LIST,     /* uint64_t: bit i set for each choices[i] named in a comma list */
    SPL_OPT_CALL,     /* parse(arg, dest, err, len): the command's own parser (0 ok, -1 with err) */
    SPL_OPT_REAL,     /* double in [rmin, rmax]: a decimal number (0.05, 5, 1e-3), no sign */
};

enum {
    SPL_OPT_HIDDEN = 1u << 0, /* parsed, not shown in --help (a compatibility spelling) */
};

struct spl_opt {
    const char *name;  /* long name without "--"; NULL ends the table */
    int key;           /* short option letter, or 0 */
    enum spl_opt_type type;
    void *dest;        /* where the value goes (SPL_OPT_DEST) */
    size_t dsize;      /* sizeof *dest (SPL_OPT_UINT: 1, 2, 4 or 8) */
    const char *arg;   /* the value's name in --help: N, TIME, FILE, SPEC */
    const char *help;  /* what it does; "\n" continues on the next line */
    const char *def;   /* default, parsed by the same parser and shown; NULL: none */
    const char *def_help; /* a default decided at run time, in words: "max(4, cores + 2)" */
    uint64_t min, max; /* bounds of UINT, DURATION, SIZE */
    double rmin, rmax; /* bounds of REAL */
    const char *const *choices; /* CHOICE, LIST: NULL-terminated names, shown in --help */
    int (*parse)(const char *arg, void *dest, char *err, size_t errlen); /* CALL, once per occurrence */
    bool *seen;        /* set to true when the option is given */
    const char *group; /* a heading printed before this option in --help */
    unsigned flags;
};

#define SPL_OPT_DEST(v) .dest = &(v), .dsize = sizeof(v)

/* A command: its table and the rest of its --help. */
struct spl_cmd {
    const char *name;       /* "conform": messages read "splsuite conform: ..." */
    const char *usage;      /* operands and alternative forms after "splsuite NAME"; "\n" for more lines */
    const char *about;      /* what it does, a paragraph */
    const struct spl_opt *opts;
    const char *examples;   /* one command per line */
    const char *exit_ok;    /* what exit 0 means here ("every rule passed or was skipped") */
    const char *exit_fail;  /* what exit 1 means here ("a rule failed") */
    const char *exit_more;  /* further command-specific lines, or NULL */
    bool operands_first;    /* stop at the first operand (lab -- CMD ...) */
};

enum { SPL_OPT_OK = 0, SPL_OPT_HELP = -1 };

/* Sets every default, then parses argv[1..]. SPL_OPT_OK with *first = the
 * index of the first operand; SPL_OPT_HELP after printing --help on stdout
 * (exit 0); or SPL_EXIT_USAGE after one line on stderr. Also answers the
 * hidden --list-options (the table as JSON lines, for tests and completion). */
int spl_opt_parse(const struct spl_cmd *cmd, int argc, char **argv, int *first);
void spl_opt_help(const struct spl_cmd *cmd, FILE *out);
/* A usage error found after parsing, in the same one-line form. Returns
 * SPL_EXIT_USAGE. */
int spl_opt_error(const struct spl_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The strict parsers behind the table, for values that come from elsewhere
 * (an environment variable, a list item). 0, or -1 with the reason in err. */
int spl_opt_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
int spl_opt_duration(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
int spl_opt_real(const char *s, double min, double max, double *out, char *err, size_t errlen);
int spl_opt_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* Index of s in the NULL-terminated names, or -1 with "unknown X (one of: ...)" in err. */
int spl_opt_choice(const char *s, const char *const *names, char *err, size_t errlen);
/* Bits of the comma list s over names; -1 with err on an unknown or empty item. */
int spl_opt_list(const char *s, const char *const *names, uint64_t *bits, char *err, size_t errlen);

/* ns in the largest unit that divides it: "1500ms", "20s", "10m" (parses back exactly). */
const char *spl_opt_duration_text(uint64_t ns, char *buf, size_t len);

/* The exit statuses every command shares, for --help and docs/guide.md. */
extern const char spl_exit_status_common[];

#endif
