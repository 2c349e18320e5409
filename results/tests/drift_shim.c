/*
 * drift_shim.c - a planted, controllable slowdown for the history test: an
 * implementation whose splinter_set burns $SPLSUITE_TEST_SPIN loop
 * iterations (CPU work, so the task-clock figure moves with it) before
 * calling the reference's. Every other function is the reference's own: the
 * shim is linked against it, and the suite's dlsym on the shim's handle
 * finds them in its dependency. The reference's splinter_set is reached
 * through a handle on the same (already loaded) library.
 */
#include "splinter.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef SHIM_TARGET /* set by the build: the reference library this shim is linked against */
#define SHIM_TARGET "libsplref_p.so"
#endif

/* One reference to the target keeps it a DT_NEEDED of the shim under
 * --as-needed: the suite finds every other function there. */
int (*const drift_shim_target_get)(const char *, void *, size_t, size_t *) = splinter_get;

static int (*real_set)(const char *, const void *, size_t);
static unsigned long spin;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    const char *s = getenv("SPLSUITE_TEST_SPIN");
    spin = s ? strtoul(s, NULL, 10) : 0;
    void *h = dlopen(SHIM_TARGET, RTLD_NOW | RTLD_LOCAL);
    if (h) *(void **)&real_set = dlsym(h, "splinter_set");
    if (!real_set) fprintf(stderr, "drift_shim: %s: no splinter_set: %s\n", SHIM_TARGET, dlerror());
}

int splinter_set(const char *key, const void *val, size_t len)
{
    pthread_once(&once, load);
    for (volatile unsigned long i = 0; i < spin; i++) {}
    return real_set ? real_set(key, val, len) : -1;
}
