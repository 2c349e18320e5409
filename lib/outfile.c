/*
 * outfile.c - result files written aside and renamed when complete (see outfile.h).
 */
#include "outfile.h"

#include "proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int spl_outfile_open(struct spl_outfile *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    if (!strcmp(path, "-")) {
        o->f = stdout;
        o->is_stdout = true;
        return 0;
    }
    /* a device, pipe or socket (/dev/full, /dev/stdout, a fifo) is written
     * in place: renaming a file over it would replace the node itself */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
            return -1;
        }
        if (!(o->f = fopen(path, "w"))) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        o->in_place = true;
        return 0;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (spl_mkdir_p(dir, 0777) != 0) {
            snprintf(err, errlen, "%s: cannot make its directory %s: %s", path, dir, strerror(errno));
            return -1;
        }
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, 0644) != 0) {} /* mkstemp's 0600 is stricter than a result needs */
    if (!(o->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd), unlink(o->tmp);
        return -1;
    }
    return 0;
}

int spl_outfile_close(struct spl_outfile *o, char *err, size_t errlen)
{
    if (!o->f) return -1;
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f)) e = errno ? errno : EIO;
    if (o->is_stdout) { /* splsuite checks stdout, and says so, once the command is done */
        o->f = NULL;
        return 0;
    }
    if (fclose(o->f) != 0 && !e) e = errno;
    o->f = NULL;
    if (!e && !o->in_place && rename(o->tmp, o->path) != 0) e = errno;
    if (e) {
        if (!o->in_place) unlink(o->tmp);
        snprintf(err, errlen, "%s: %s", o->path, strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

void spl_outfile_abort(struct spl_outfile *o)
{
    if (!o->f) return;
    if (!o->is_stdout) {
        fclose(o->f);
        if (!o->in_place) unlink(o->tmp);
    }
    o->f = NULL;
}

int spl_outfile_json(const char *path, json_object *doc, char *err, size_t errlen)
{
    struct spl_outfile o;
    if (spl_outfile_open(&o, path, err, errlen) != 0) return -1;
    fprintf(o.f, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    return spl_outfile_close(&o, err, errlen);
}
