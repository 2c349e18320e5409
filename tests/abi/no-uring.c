/*
 * no-uring.c - the persistent library on a machine without liburing.
 *
 * This executable defines dlopen (and is built -rdynamic, so the library's
 * dlopen call binds to it): loading liburing.so.2 fails as if it were not
 * installed. The library must have started anyway (it does not need
 * liburing at load time) and everything but the two io_uring flush
 * strategies must work; those fail with ENOTSUP and keep the dirty set, so
 * a later flush still covers the writes.
 *
 * usage: no-uring    exit 0 ok, 1 failure
 */
#include "splinter.h"
#include "splref.h"
#include "helpers.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int refused;

void *dlopen(const char *file, int mode)
{
    static void *(*real)(const char *, int);
    if (file && strstr(file, "liburing")) {
        refused++;
        return NULL;
    }
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "dlopen");
    return real(file, mode);
}


int main(void)
{
    char name[256];
    snprintf(name, sizeof name, "%s/splsuite-no-uring-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    CHECK_ERRNO(splinter_create(name, 16, 64) == 0);
    CHECK_ERRNO(splinter_set("k", "v", 1) == 0);
    errno = 0;
    CHECK_ERRNO(splinter_flush(SPLINTER_FLUSH_URING_FSYNC) == -1 && errno == ENOTSUP);
    errno = 0;
    CHECK_ERRNO(splinter_flush(SPLINTER_FLUSH_URING_RANGES) == -1 && errno == ENOTSUP);
    CHECK_ERRNO(splinter_flush(SPLINTER_FLUSH_MSYNC_RANGES) == 0);
    CHECK_ERRNO(splinter_flush(SPLINTER_FLUSH_FDATASYNC) == 0);
    size_t n = 0;
    CHECK_ERRNO(splinter_get("k", NULL, 0, &n) == 0 && n == 1);
    splinter_close();
    unlink(name);
    CHECK_ERRNO(refused > 0); /* the library did try, so the interposition took */
    printf("%s: liburing refused %d time(s), %d check(s) failed\n", fails ? "FAIL" : "ok", refused, fails);
    return fails ? 1 : 0;
}
