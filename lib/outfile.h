/*
 * outfile.h - result files that CI can trust: written aside and renamed into
 * place when complete, every write checked, so a full disk or a bad path is
 * an error with its reason (exit 3), never a 0-byte or half file left at the
 * path. "-" means stdout, whose errors splsuite reports once the command is
 * done (exit 3), so closing it here always succeeds. A path that is not a
 * regular file (/dev/full, /dev/stdout, a fifo) is written in place, its
 * errors checked the same way.
 */
#ifndef SPLSUITE_OUTFILE_H
#define SPLSUITE_OUTFILE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

struct spl_outfile {
    FILE *f;          /* write here */
    char path[4096];
    char tmp[4200];   /* where it is written until spl_outfile_close */
    bool is_stdout;
    bool in_place;    /* not a regular file (a device, a pipe): written where it is */
};

/* Opens path for writing (parent directories are made). 0, or -1 with the reason in err. */
int spl_outfile_open(struct spl_outfile *o, const char *path, char *err, size_t errlen);
/* Flushes, checks and closes; the file then appears at its path. 0, or -1
 * with the reason in err (and nothing at the path). */
int spl_outfile_close(struct spl_outfile *o, char *err, size_t errlen);
/* Gives up on the file (nothing appears). */
void spl_outfile_abort(struct spl_outfile *o);
/* doc, pretty-printed, as path ("-": stdout). 0 or -1 with err. */
int spl_outfile_json(const char *path, json_object *doc, char *err, size_t errlen);

#endif
