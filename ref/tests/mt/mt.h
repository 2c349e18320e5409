/*
 * mt.h - the fixture of the reference's multi-threaded tests (ref/tests/mt/).
 *
 * These are plain programs, one case each (liburing style), not Criterion
 * tests: Criterion cannot start under ThreadSanitizer, and these are the
 * tests TSan must see (ci/sanitize.sh tsan runs every ref-mt-*). Each file
 * is built twice, against libsplref.so (shm) and with -DT_FILE against
 * libsplref_p.so. The global splinter_* API is under test; mt_peek is a
 * second handle on the same store for the bytes the API does not show.
 * Checks and the verdict come from tests/helpers.h.
 */
#ifndef SPLREF_MT_H
#define SPLREF_MT_H

#include "helpers.h"
#include "splinter.h"
#include "splref.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifdef T_FILE
#define MT_BACKEND SPLREF_BACKEND_FILE
#else
#define MT_BACKEND SPLREF_BACKEND_SHM
#endif

static char mt_store[128];
static splref_store *mt_peek;

static inline void mt_unlink(const char *name)
{
#ifdef T_FILE
    unlink(name);
#else
    shm_unlink(name);
#endif
}

/* A fresh store of the geometry, the default one; false (with a message) if
 * it cannot be made. */
static inline bool mt_make(size_t slots, size_t maxval)
{
    const char *dir = getenv("TMPDIR");
#ifdef T_FILE
    snprintf(mt_store, sizeof mt_store, "%s/splref-mt-%d.spl", dir && *dir ? dir : "/tmp", (int)getpid());
#else
    (void)dir;
    snprintf(mt_store, sizeof mt_store, "/splref-mt-%d", (int)getpid());
#endif
    mt_unlink(mt_store);
    if (splinter_create(mt_store, slots, maxval) != 0) {
        fprintf(stderr, "create %s: %s\n", mt_store, strerror(errno));
        return false;
    }
    mt_peek = splref_open(MT_BACKEND, mt_store);
    if (!mt_peek) {
        fprintf(stderr, "open %s: %s\n", mt_store, strerror(errno));
        mt_unlink(mt_store);
        return false;
    }
    /* both handles are mapped and nothing opens it by name again: remove the
     * name now, so a test that dies (a sanitizer's abort, a mutant's torn
     * read) leaves nothing behind */
    mt_unlink(mt_store);
    return true;
}

static inline void mt_done(void)
{
    splref_close(mt_peek);
    mt_peek = NULL;
    splinter_close();
    mt_unlink(mt_store);
}

static inline double mt_ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static inline void mt_nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The slot holding key, found through the peek handle. */
static inline struct splinter_slot *mt_slot(const char *key)
{
    struct splinter_slot *S = splref_slots(mt_peek);
    splinter_header_snapshot_t h;
    splinter_get_header_snapshot(&h);
    for (uint32_t i = 0; i < h.slots; i++)
        if (atomic_load(&S[i].hash) && !strncmp(S[i].key, key, SPLINTER_KEY_MAX)) return &S[i];
    return NULL;
}

#endif
