/*
 * mkseeds.c - the fuzzers' seed corpus, made of real stores.
 *
 * Builds small persistent stores with the reference library in states a
 * real deployment reaches (empty, populated with typed and labelled keys,
 * tombstones, tandem keys, a watched group, an armed event bus, shard bids,
 * scrubbing modes, grown values), and writes each image, plus truncated
 * cuts of one, as a seed file. Generated at test time rather than committed
 * so the seeds always follow the current format.
 *   mkseeds OUTDIR
 */
#include "proc.h" /* spl_mkdir_p */
#include "splref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[512];
static const char *outdir;
static int nseeds;

static int copy_out(const char *src, const char *name, size_t cut)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    struct stat sb;
    if (fstat(in, &sb) != 0) { close(in); return -1; }
    size_t len = cut && cut < (size_t)sb.st_size ? cut : (size_t)sb.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    ssize_t got = buf ? pread(in, buf, len, 0) : -1;
    close(in);
    if (got != (ssize_t)len) { free(buf); return -1; }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) { free(buf); if (f) fclose(f); return -1; }
    fclose(f);
    free(buf);
    nseeds++;
    return 0;
}

static splref_store *fresh(size_t slots, size_t max_val)
{
    unlink(tmp);
    splref_store *st = splref_create(SPLREF_BACKEND_FILE, tmp, slots, max_val);
    if (!st) fprintf(stderr, "mkseeds: create %s: %s\n", tmp, strerror(errno));
    return st;
}

static int finish(splref_store *st, const char *name)
{
    splref_close(st);
    if (copy_out(tmp, name, 0) != 0) { fprintf(stderr, "mkseeds: %s: %s\n", name, strerror(errno)); return -1; }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: mkseeds OUTDIR\n"); return 2; }
    outdir = argv[1];
    if (spl_mkdir_p(outdir, 0755) != 0) { perror(outdir); return 1; }
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/splsuite-ci-mkseeds-%d.spl", t && *t ? t : "/tmp", (int)getpid());
    char key[64], val[512];
    int rc = 0;

    splref_store *st = fresh(16, 64);
    if (!st) return 1;
    rc |= finish(st, "empty-16x64");

    st = fresh(32, 128);
    if (!st) return 1;
    for (int i = 0; i < 12; i++) {
        snprintf(key, sizeof key, "user/%d/name", i);
        int n = snprintf(val, sizeof val, "{\"id\":%d,\"name\":\"user number %d\"}", i, i);
        splref_set(st, key, val, (size_t)n);
        if (i % 3 == 0) splref_set_named_type(st, key, SPL_SLOT_TYPE_JSON);
        if (i % 4 == 1) splref_set_label(st, key, 1ull << (i % 64));
    }
    uint64_t zero = 0, five = 5;
    splref_set(st, "counter", &zero, 8);
    splref_set_named_type(st, "counter", SPL_SLOT_TYPE_BIGUINT);
    splref_integer_op(st, "counter", SPL_OP_INC, &five);
    splref_unset(st, "user/5/name"); /* a tombstone inside a chain */
    const void *tv[3] = {"a", "bb", "ccc"};
    size_t tl[3] = {1, 2, 3};
    splref_set_tandem(st, "car", tv, tl, 3);
    splref_watch_register(st, "user/1/name", 3);
    splref_watch_label_register(st, 1ull << 1, 4);
    splref_set(st, "user/1/name", "renamed", 7);
    rc |= finish(st, "populated-32x128");
    rc |= copy_out(tmp, "cut-header-only", SPLINTER_HEADER_SIZE);
    rc |= copy_out(tmp, "cut-mid-slots", SPLINTER_HEADER_SIZE + 10 * SPLINTER_SLOT_SIZE + 17);
    rc |= copy_out(tmp, "cut-mid-values", SPLINTER_HEADER_SIZE + 32 * SPLINTER_SLOT_SIZE + 300);
    rc |= copy_out(tmp, "cut-3-bytes", 3);

    st = fresh(16, 256);
    if (!st) return 1;
    splref_event_bus_init(st);
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "bus/%d", i);
        splref_set(st, key, "x", 1);
    }
    for (uint32_t s = 1; s <= 5; s++)
        splref_shard_claim_ex(st, s, (uint32_t)getpid(), (uint8_t)(s % 5), (uint8_t)s, 1000000000ull * s, 1);
    splref_shard_release(st, 2);
    rc |= finish(st, "bus-bids-16x256");

    st = fresh(8, 512);
    if (!st) return 1;
    splref_set_mop(st, 1);
    memset(val, 'v', sizeof val);
    splref_set(st, "log", val, 10);
    size_t nl;
    for (int i = 0; i < 20; i++) splref_append(st, "log", val, 16, &nl);
    splref_set_mop(st, 2);
    splref_set(st, "scrubbed", val, 100);
    splref_set_as_system(st, "scrubbed");
    rc |= finish(st, "mop-append-8x512");

    unlink(tmp);
    printf("mkseeds: %d seeds in %s\n", nseeds, outdir);
    return rc ? 1 : 0;
}
