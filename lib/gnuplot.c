/*
 * gnuplot.c - find gnuplot, open a figure's terminal, run a script.
 */
#include "gnuplot.h"

#include "proc.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool spl_in_path(const char *prog) { return spl_find_program(prog, NULL, 0); }

void spl_gp_term(FILE *gp, const char *dir, const char *name, const char *fmt, const char *title, int width, int height)
{
    if (strcmp(fmt, "png") == 0) fprintf(gp, "set terminal pngcairo size %d,%d font 'sans,10'\n", width, height);
    else fprintf(gp, "set terminal svg size %d,%d dynamic font 'sans,10'\n", width, height);
    fprintf(gp, "set output '%s/%s.%s'\nset title \"%s\" noenhanced\nset key outside right top noenhanced\nset grid\n", dir,
            name, fmt, title);
}

/* A figure counts only when gnuplot exited 0 AND left a non-empty image: a
 * gnuplot without the terminal, or a full disk, can exit 0 having written
 * nothing. */
int spl_gp_run(const char *script, const char *dir, const char *name, const char *fmt)
{
    char img[4200], err[512];
    snprintf(img, sizeof img, "%s/%s.%s", dir, name, fmt);
    unlink(img);
    char *argv[] = {"gnuplot", (char *)script, NULL};
    struct spl_spawn_opts so = {.err = "-"};
    int rc = spl_spawn_wait(argv, &so, 120ull * 1000000000ull, err, sizeof err);
    struct stat sb;
    if (rc != 0) {
        fprintf(stderr, "splsuite plot: gnuplot on %s: %s\n", script, err);
        return -1;
    }
    if (stat(img, &sb) != 0 || sb.st_size == 0) {
        fprintf(stderr, "splsuite plot: gnuplot exited 0 on %s but wrote no image %s (%s)\n", script, img,
                stat(img, &sb) != 0 ? strerror(errno) : "0 bytes");
        unlink(img);
        return -1;
    }
    printf("%s\n", img);
    return 0;
}
