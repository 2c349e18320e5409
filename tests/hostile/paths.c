/*
 * paths.c - the store path policy: symlinks along a file store's path, shm
 * names with slashes and dots.
 *
 * A file store's last component is never followed when it is a symlink.
 * A directory along the path is followed by default (the original's
 * behaviour: the caller chose the path), and refused, ELOOP, everywhere
 * along it with SPLINTER_NO_SYMLINKS=1, for create and open alike: a
 * directory someone else can replace by a link must not redirect them.
 * shm names are one component, as glibc's shm_open: "a/b", "." and ".."
 * are EINVAL.
 *
 * usage: paths file|shm     exit 0 pass, 1 a finding
 */
#include "helpers.h"
#include "splinter.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static bool exists(const char *p)
{
    struct stat sb;
    return lstat(p, &sb) == 0;
}

TEST(intermediate_symlink)
{
    char real[300], link[300], via[400], inreal[400], deep[400];
    snprintf(real, sizeof real, "%s/real", root);
    snprintf(link, sizeof link, "%s/link", root);
    snprintf(via, sizeof via, "%s/store", link);
    snprintf(inreal, sizeof inreal, "%s/store", real);
    if (mkdir(real, 0700) != 0 || symlink("real", link) != 0) { CHECK_ERRNO(0, "setup"); return; }

    setenv("SPLINTER_NO_SYMLINKS", "1", 1);
    errno = 0;
    int rc = splinter_create(via, 8, 32);
    int err = errno;
    CHECK(rc != 0 && err == ELOOP, "SPLINTER_NO_SYMLINKS=1: create through a symlinked directory: rc %d errno %d %s (want -1 ELOOP)", rc,
          err, strerror(err));
    CHECK(!exists(inreal), "the refused create made %s", inreal);
    /* a deeper path with the link in the middle */
    snprintf(deep, sizeof deep, "%s/link/./store", root);
    errno = 0;
    rc = splinter_create(deep, 8, 32);
    CHECK(rc != 0 && errno == ELOOP, "create %s: rc %d errno %d", deep, rc, errno);
    unsetenv("SPLINTER_NO_SYMLINKS");

    /* by default the directory link is followed (the original's behaviour) */
    rc = splinter_create(via, 8, 32);
    CHECK_ERRNO(rc == 0, "create through a symlinked directory without SPLINTER_NO_SYMLINKS");
    CHECK(exists(inreal), "the store is not in the link's target");
    splinter_close();

    setenv("SPLINTER_NO_SYMLINKS", "1", 1);
    errno = 0;
    rc = splinter_open(via);
    err = errno;
    CHECK(rc != 0 && err == ELOOP, "SPLINTER_NO_SYMLINKS=1: open through a symlinked directory: rc %d errno %d (want -1 ELOOP)", rc, err);
    rc = splinter_open(inreal);
    CHECK_ERRNO(rc == 0, "SPLINTER_NO_SYMLINKS=1: open of a path without symlinks");
    splinter_close();
    unsetenv("SPLINTER_NO_SYMLINKS");

    unlink(inreal);
    unlink(link);
    rmdir(real);
}

TEST(last_component_symlink)
{
    char target[300], link[300];
    snprintf(target, sizeof target, "%s/target", root);
    snprintf(link, sizeof link, "%s/store-link", root);
    if (symlink("target", link) != 0) { CHECK_ERRNO(0, "symlink"); return; }
    errno = 0;
    int rc = splinter_create(link, 8, 32);
    CHECK(rc != 0 && (errno == EEXIST || errno == ELOOP), "create at a dangling symlink: rc %d errno %d", rc, errno);
    CHECK(!exists(target), "create followed the symlink to %s", target);
    unlink(link);
}

TEST(shm_names)
{
    const char *bad[] = {"/a/b", "a/b", "/.", "/..", "..", "/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        int rc = splinter_create(bad[i], 8, 32);
        int err = errno;
        CHECK(rc != 0 && err == EINVAL, "shm name \"%s\": rc %d errno %d %s (want -1 EINVAL)", bad[i], rc, err, strerror(err));
        if (rc == 0) splinter_close();
    }
    char ok[64];
    snprintf(ok, sizeof ok, "//splsuite-paths-%d", (int)getpid());
    int rc = splinter_create(ok, 8, 32);
    CHECK_ERRNO(rc == 0, "shm name with two leading slashes");
    if (rc == 0) {
        splinter_close();
        CHECK(shm_unlink(ok + 1) == 0, "the object is not /dev/shm%s", ok + 1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "file") && strcmp(argv[1], "shm"))) {
        fprintf(stderr, "usage: paths file|shm\n");
        return 2;
    }
    if (!strcmp(argv[1], "shm")) {
        RUN(shm_names);
        return T_DONE("paths shm");
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/splsuite-paths-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    RUN(intermediate_symlink);
    RUN(last_component_symlink);
    rmdir(root);
    return T_DONE("paths file");
}
