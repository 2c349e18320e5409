/*
 * store.c - creating, filling, placing and removing the stores a case uses.
 */
#include "bench.h"
#include "storeview.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void bench_key(char *buf, size_t len, uint64_t i) { snprintf(buf, len, "bench.key.%llu", (unsigned long long)i); }

struct create_arg {
    const struct spl_impl *im;
    const struct bench_store *st;
    uint64_t nkeys, vsize;
};

static void create_child(struct wres *w, void *a_)
{
    struct create_arg *a = a_;
    const struct spl_impl *im = a->im;
    if (!im->create) wres_fail(w, "implementation has no splinter_create");
    if (im->create(a->st->name, a->st->slots, a->st->max_val) != 0)
        wres_fail(w, "splinter_create(%s, %llu, %llu): %s", a->st->name, (unsigned long long)a->st->slots,
                  (unsigned long long)a->st->max_val, strerror(errno));
    char *val = malloc(a->vsize ? a->vsize : 1);
    if (!val) wres_fail(w, "out of memory");
    for (uint64_t i = 0; i < a->vsize; i++) val[i] = (char)('a' + i % 26);
    for (uint64_t i = 0; i < a->nkeys; i++) {
        char key[64];
        bench_key(key, sizeof key, i);
        int rc;
        int tries = 0;
        do rc = im->set(key, val, a->vsize);
        while (rc != 0 && errno == EAGAIN && ++tries < 1000);
        if (rc != 0) wres_fail(w, "filling key %llu of %llu: %s", (unsigned long long)i, (unsigned long long)a->nkeys,
                               strerror(errno));
    }
    free(val);
    if (im->close) im->close();
}

int bench_store_create(const struct bench_opts *o, const struct spl_impl *im, const char *tag, uint64_t slots,
                       uint64_t max_val, uint64_t nkeys, uint64_t vsize, struct bench_store *st, json_object *extra,
                       char *why, size_t whylen)
{
    memset(st, 0, sizeof *st);
    spl_impl_store_name(im, tag, st->name, sizeof st->name);
    spl_impl_store_path(im, st->name, st->path, sizeof st->path);
    st->slots = slots;
    st->max_val = max_val;
    spl_impl_store_remove(im, st->name); /* a leftover of a killed run */
    struct create_arg a = {im, st, nkeys, vsize};
    if (bench_in_child(create_child, &a, why, whylen, 120ull * 1000000000ull) != 0) {
        spl_impl_store_remove(im, st->name);
        return -1;
    }
    if (o->numa.membind && bench_store_place(st, &o->numa.memnodes, extra, why, whylen) != 0) {
        spl_impl_store_remove(im, st->name);
        return -1;
    }
    return 0;
}

void bench_store_remove(const struct spl_impl *im, struct bench_store *st)
{
    if (st->name[0]) spl_impl_store_remove(im, st->name);
    st->name[0] = 0;
}

int bench_store_place(struct bench_store *st, const struct spl_nodemask *nodes, json_object *extra, char *why,
                      size_t whylen)
{
    struct spl_storeview v;
    if (spl_sv_open(&v, st->path, SPL_SV_WRITE) != 0) {
        snprintf(why, whylen, "mapping %s: %s", st->path, strerror(errno));
        return -1;
    }
    size_t len = v.size;
    volatile uint8_t *p = v.base;
    /* Map every page first: MPOL_MF_MOVE migrates only pages present in this
     * process's page tables, and the store was filled by a child that is gone,
     * so untouched pages would stay wherever the filler put them. */
    long pg = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < len; off += (size_t)pg) (void)p[off];
    int rc = spl_numa_mbind((void *)p, len, nodes, true);
    int mb_errno = errno;
    long per_node[SPL_NUMA_MAX_NODES], np = 0, oe = 0;
    long n = spl_numa_where((const void *)p, len, per_node, &np, &oe);
    char req[256];
    spl_nodemask_format(nodes, req, sizeof req);
    json_object *pl = json_object_new_object();
    json_object_object_add(pl, "requested", json_object_new_string(req));
    json_object_object_add(pl, "mbind", json_object_new_string(rc == 0 ? "ok" : strerror(mb_errno)));
    long on_req = 0;
    json_object *po = json_object_new_object();
    for (int i = 0; n > 0 && i < SPL_NUMA_MAX_NODES; i++) {
        if (!per_node[i]) continue;
        char k[16];
        snprintf(k, sizeof k, "%d", i);
        json_object_object_add(po, k, json_object_new_int64(per_node[i]));
        if (spl_nodemask_isset(nodes, i)) on_req += per_node[i];
    }
    json_object_object_add(pl, "pages", json_object_new_int64(n));
    json_object_object_add(pl, "pages_on", po);
    json_object_object_add(pl, "not_present", json_object_new_int64(np));
    json_object_object_add(pl, "other_errors", json_object_new_int64(oe));
    bool ok = rc == 0 && n > 0 && on_req == n - np;
    json_object_object_add(pl, "verified", json_object_new_boolean(ok));
    if (extra) json_object_object_add(extra, "placement", pl);
    else json_object_put(pl);
    spl_sv_close(&v);
    if (rc != 0) { snprintf(why, whylen, "mbind(%s): %s", req, strerror(mb_errno)); return -1; }
    if (n < 0) { snprintf(why, whylen, "move_pages: %s", strerror(errno)); return -1; }
    if (!ok) {
        snprintf(why, whylen, "only %ld of %ld pages on nodes %s after mbind", on_req, n - np, req);
        return -1;
    }
    return 0;
}
