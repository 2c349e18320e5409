/*
 * gnuplot.c - find gnuplot, open a figure's terminal, run a script.
 */
#include "gnuplot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool spl_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/bin:/usr/bin";
    char buf[4096];
    for (const char *p = path;; p++) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        /* an empty entry is the current directory */
        int l = n ? snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog) : snprintf(buf, sizeof buf, "%s", prog);
        if (l > 0 && (size_t)l < sizeof buf && access(buf, X_OK) == 0) {
            struct stat sb;
            if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) return true;
        }
        if (!e) return false;
        p = e;
    }
}

void spl_gp_term(FILE *gp, const char *dir, const char *name, const char *fmt, const char *title, int width, int height)
{
    if (strcmp(fmt, "png") == 0) fprintf(gp, "set terminal pngcairo size %d,%d font 'sans,10'\n", width, height);
    else fprintf(gp, "set terminal svg size %d,%d dynamic font 'sans,10'\n", width, height);
    fprintf(gp, "set output '%s/%s.%s'\nset title \"%s\" noenhanced\nset key outside right top noenhanced\nset grid\n", dir,
            name, fmt, title);
}

int spl_gp_run(const char *script, const char *dir, const char *name, const char *fmt)
{
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) return -1;
    if (p == 0) {
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(p, &st, 0) < 0) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    printf("%s/%s.%s\n", dir, name, fmt);
    return 0;
}
