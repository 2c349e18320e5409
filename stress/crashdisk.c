/*
 * crashdisk.c - a power cut for persistent stores, without device-mapper.
 *
 * SIGKILLing every process does not lose a byte of an mmap'ed file: the page
 * cache outlives them. To see what a power cut would leave, the store lives
 * on an ext4 filesystem inside an image file attached to a loop device. What
 * the filesystem has written back (or flushed) has gone through the loop
 * device into the image file; what is still dirty in the filesystem's page
 * cache has not. A power cut is therefore: copy the image file (that is the
 * disk), throw the mounted filesystem away, and mount the copy, which
 * replays the ext4 journal exactly as a reboot would.
 *
 * Needs root (loop devices, mount) and mkfs.ext4; callers fall back to a
 * plain kill/reopen cycle, and say so, when either is missing.
 */
#include "proc.h"
#include "torture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct tt_disk {
    char dir[256], img[300], mnt[300];
    char loopdev[64];
    int loopfd; /* held open so the device stays ours */
    bool mounted;
};

/* Runs a tool (mkfs.ext4) with its output discarded: its exit status, or -1. */
static int run_quiet(char *const argv[], char *err, size_t errlen)
{
    return spl_spawn_wait(argv, NULL, 120ull * 1000000000ull, err, errlen);
}

static int loop_attach(struct tt_disk *d, char *err, size_t errlen)
{
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0) { snprintf(err, errlen, "/dev/loop-control: %s", strerror(errno)); return -1; }
    int imgfd = open(d->img, O_RDWR | O_CLOEXEC);
    if (imgfd < 0) { snprintf(err, errlen, "%s: %s", d->img, strerror(errno)); close(ctl); return -1; }
    for (int tries = 0; tries < 8; tries++) {
        int n = ioctl(ctl, LOOP_CTL_GET_FREE);
        if (n < 0) { snprintf(err, errlen, "LOOP_CTL_GET_FREE: %s", strerror(errno)); break; }
        snprintf(d->loopdev, sizeof d->loopdev, "/dev/loop%d", n);
        int lfd = open(d->loopdev, O_RDWR | O_CLOEXEC);
        if (lfd < 0) { snprintf(err, errlen, "%s: %s", d->loopdev, strerror(errno)); break; }
        struct loop_config cfg = {.fd = (uint32_t)imgfd};
        snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "%s", d->img);
        cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
            d->loopfd = lfd;
            close(imgfd);
            close(ctl);
            return 0;
        }
        int e = errno;
        close(lfd);
        if (e != EBUSY) { snprintf(err, errlen, "LOOP_CONFIGURE %s: %s", d->loopdev, strerror(e)); break; }
    }
    close(imgfd);
    close(ctl);
    return -1;
}

static int disk_mount(struct tt_disk *d, char *err, size_t errlen)
{
    if (loop_attach(d, err, errlen) != 0) return -1;
    if (mount(d->loopdev, d->mnt, "ext4", 0, "") != 0) {
        snprintf(err, errlen, "mount %s on %s: %s", d->loopdev, d->mnt, strerror(errno));
        close(d->loopfd);
        d->loopfd = -1;
        return -1;
    }
    d->mounted = true;
    return 0;
}

static void disk_unmount(struct tt_disk *d)
{
    if (d->mounted && umount2(d->mnt, 0) != 0) umount2(d->mnt, MNT_DETACH);
    d->mounted = false;
    if (d->loopfd >= 0) { /* AUTOCLEAR detaches once the last user closes */
        ioctl(d->loopfd, LOOP_CLR_FD, 0);
        close(d->loopfd);
    }
    d->loopfd = -1;
}

struct tt_disk *tt_disk_setup(uint64_t bytes, char *err, size_t errlen)
{
    if (geteuid() != 0) { snprintf(err, errlen, "power-cut simulation needs root (loop device + mount)"); return NULL; }
    struct tt_disk *d = calloc(1, sizeof *d);
    if (!d) { snprintf(err, errlen, "out of memory"); return NULL; }
    d->loopfd = -1;
    snprintf(d->dir, sizeof d->dir, "%s/splsuite-torture-disk-XXXXXX", spl_store_dir()); /* --store-dir, else $TMPDIR */
    if (!mkdtemp(d->dir)) { snprintf(err, errlen, "mkdtemp %s: %s", d->dir, strerror(errno)); free(d); return NULL; }
    snprintf(d->img, sizeof d->img, "%s/disk.img", d->dir);
    snprintf(d->mnt, sizeof d->mnt, "%s/mnt", d->dir);
    if (spl_mkdir_p(d->mnt, 0700) != 0) { snprintf(err, errlen, "mkdir %s: %s", d->mnt, strerror(errno)); goto fail; }
    if (bytes < (32u << 20)) bytes = 32u << 20;
    int fd = open(d->img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0) {
        snprintf(err, errlen, "%s: %s", d->img, strerror(errno));
        if (fd >= 0) close(fd);
        goto fail;
    }
    close(fd);
    char *mkfs[] = {"mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", d->img, NULL};
    char why[300];
    int rc = run_quiet(mkfs, why, sizeof why);
    if (rc != 0) { snprintf(err, errlen, "mkfs.ext4 %s failed (%s): is e2fsprogs installed?", d->img, why); goto fail; }
    if (disk_mount(d, err, errlen) != 0) goto fail;
    return d;
fail:
    tt_disk_teardown(d);
    return NULL;
}

const char *tt_disk_dir(const struct tt_disk *d) { return d->mnt; }

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) { snprintf(err, errlen, "%s: %s", from, strerror(errno)); return -1; }
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) { snprintf(err, errlen, "%s: %s", to, strerror(errno)); close(in); return -1; }
    static char buf[1 << 20];
    off_t off = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = pread(in, buf, sizeof buf, off);
        if (n < 0) { snprintf(err, errlen, "read %s: %s", from, strerror(errno)); rc = -1; break; }
        if (n == 0) break;
        /* keep the copy sparse: most of a fresh ext4 image is zeros */
        bool zero = true;
        for (ssize_t i = 0; i < n && zero; i++) zero = buf[i] == 0;
        if (!zero && pwrite(out, buf, (size_t)n, off) != n) {
            snprintf(err, errlen, "write %s: %s", to, strerror(errno));
            rc = -1;
            break;
        }
        off += n;
    }
    if (rc == 0 && ftruncate(out, off) != 0) { snprintf(err, errlen, "truncate %s: %s", to, strerror(errno)); rc = -1; }
    close(in);
    close(out);
    return rc;
}

int tt_disk_powercut(struct tt_disk *d, char *err, size_t errlen)
{
    char crash[320];
    snprintf(crash, sizeof crash, "%s/crash.img", d->dir);
    /* 1. what the disk holds right now: the image file behind the loop device */
    if (copy_file(d->img, crash, err, errlen) != 0) return -1;
    /* 2. the old filesystem (and its dirty page cache) is gone with the power */
    disk_unmount(d);
    if (rename(crash, d->img) != 0) { snprintf(err, errlen, "rename %s: %s", crash, strerror(errno)); return -1; }
    /* 3. reboot: mount the crash image; ext4 replays its journal */
    return disk_mount(d, err, errlen);
}

void tt_disk_teardown(struct tt_disk *d)
{
    if (!d) return;
    disk_unmount(d);
    if (d->img[0]) unlink(d->img);
    if (d->mnt[0]) rmdir(d->mnt);
    if (d->dir[0]) rmdir(d->dir);
    free(d);
}
