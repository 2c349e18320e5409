/*
 * spawn.c - the lab's host-side steps (apt-get, dpkg, depmod, modprobe, xz,
 * cpio) through lib/spawn.c, and the lab's own file helpers.
 */
#include "lab.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* lab's convention on top of lib/spawn.c: stderr is shown only with --verbose */
static struct spl_spawn_opts opts(const char *cwd, const char *in, const char *out, bool verbose)
{
    return (struct spl_spawn_opts){.cwd = cwd, .in = in, .out = out, .err = verbose ? "-" : NULL};
}

int lab_spawn_wait(char *const argv[], const char *cwd, const char *out_path, bool verbose)
{
    return lab_spawn_io(argv, cwd, NULL, out_path, verbose);
}

int lab_spawn_io(char *const argv[], const char *cwd, const char *in_path, const char *out_path, bool verbose)
{
    struct spl_spawn_opts o = opts(cwd, in_path, out_path, verbose);
    char err[512];
    int rc = spl_spawn_wait(argv, &o, UINT64_MAX, err, sizeof err);
    if (rc < 0 && verbose) fprintf(stderr, "splsuite lab: %s\n", err);
    return rc;
}

int lab_spawn_capture(char *const argv[], char *buf, size_t sz)
{
    struct spl_spawn_opts o = opts(NULL, NULL, NULL, false);
    char err[512];
    return spl_spawn_capture(argv, &o, UINT64_MAX, buf, sz, err, sizeof err);
}

int lab_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return -1;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            lab_rm_rf(sub);
        }
        closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

void lab_shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}
