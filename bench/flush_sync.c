/*
 * flush_sync.c - the flush strategies made of plain system calls: the
 * implementation's own splinter_flush, msync of the map or of the dirty
 * ranges, fdatasync, and the floor (pwrite + fdatasync of a bare file).
 */
#include "flush.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void impl_flush(struct flush_ctx *x)
{
    if (x->c->im->flush(x->arg) != 0) wres_fail(x->w, "splinter_flush(%d): %s", x->arg, strerror(errno));
}

static void msync_flush(struct flush_ctx *x)
{
    if (msync(x->base, x->maplen, MS_SYNC) != 0) wres_fail(x->w, "msync: %s", strerror(errno));
}

static void msync_ranges_flush(struct flush_ctx *x)
{
    for (size_t i = 0; i < x->nr; i++)
        if (msync(x->base + x->ranges[i].off, x->ranges[i].len, MS_SYNC) != 0)
            wres_fail(x->w, "msync range: %s", strerror(errno));
}

static void fdatasync_flush(struct flush_ctx *x)
{
    if (fdatasync(x->fd) != 0) wres_fail(x->w, "fdatasync: %s", strerror(errno));
}

/* The floor: a file of the store's size in the same directory, laid out
 * (written and synced) before measuring, removed at once so a kill leaves
 * nothing behind. */
static void floor_setup(struct flush_ctx *x)
{
    const struct flush_case *c = x->c;
    x->fd = open(c->floor_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (x->fd < 0) wres_fail(x->w, "open %s: %s", c->floor_path, strerror(errno));
    unlink(c->floor_path); /* gone even if we are killed */
    uint64_t fsize = c->st.slots * c->st.max_val + 65536;
    x->blocks = fsize / (c->vsize ? c->vsize : 1);
    char *z = calloc(1, 1 << 16);
    if (!z) wres_fail(x->w, "out of memory");
    for (uint64_t off = 0; off < fsize; off += 1 << 16)
        if (pwrite(x->fd, z, 1 << 16, (off_t)off) != 1 << 16)
            wres_fail(x->w, "laying out the floor file: %s", strerror(errno));
    free(z);
    if (fsync(x->fd) != 0) wres_fail(x->w, "fsync of the floor file: %s", strerror(errno));
}

static void floor_teardown(struct flush_ctx *x)
{
    close(x->fd);
}

const struct flush_ops flush_impl_ops = {.fio_sync = "fsync", .impl_flush = true, .flush = impl_flush};
const struct flush_ops flush_msync_ops = {.fio_sync = "fsync", .flush = msync_flush};
const struct flush_ops flush_msync_ranges_ops = {.ranges = true, .fio_sync = "fsync", .flush = msync_ranges_flush};
const struct flush_ops flush_fdatasync_ops = {.fio_sync = "fdatasync", .flush = fdatasync_flush};
const struct flush_ops flush_floor_ops = {
    .fio_sync = "fdatasync", .own_file = true, .setup = floor_setup, .flush = fdatasync_flush, .teardown = floor_teardown};
