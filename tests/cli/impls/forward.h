/*
 * forward.h - what a test library does where its case does not break it:
 * forward the call to the reference library. The reference is loaded on
 * first use with RTLD_LOCAL, so its symbols never interpose on the caller's
 * (a forwarding shim is a way of loading a correct implementation that the
 * suite must handle).
 */
#ifndef SPLSUITE_TEST_FORWARD_H
#define SPLSUITE_TEST_FORWARD_H

#include "splinter.h"

#include <dlfcn.h>
#include <stdlib.h>

#ifndef REF_LIB
#error "REF_LIB: path of the reference library to forward to"
#endif

static void *ref_sym(const char *name)
{
    static void *dl;
    if (!dl && !(dl = dlopen(REF_LIB, RTLD_NOW | RTLD_LOCAL))) abort();
    void *s = dlsym(dl, name);
    if (!s) abort();
    return s;
}

/* FWD(int, set, (const char *k, const void *v, size_t n), (k, v, n)) */
#define FWD(ret, name, params, args)                                  \
    ret splinter_##name params;                                       \
    ret splinter_##name params                                        \
    {                                                                 \
        static ret(*f) params;                                        \
        if (!f) *(void **)&f = ref_sym("splinter_" #name);            \
        return f args;                                                \
    }
#define FWD_VOID(name, params, args)                                  \
    void splinter_##name params;                                      \
    void splinter_##name params                                       \
    {                                                                 \
        static void(*f) params;                                       \
        if (!f) *(void **)&f = ref_sym("splinter_" #name);            \
        f args;                                                       \
    }

/* The data path: stores, keys, values. */
#define FWD_CORE_BUT_CREATE_OPEN()                                                                \
    FWD_VOID(close, (void), ())                                                                   \
    FWD(int, set, (const char *k, const void *v, size_t n), (k, v, n))                            \
    FWD(int, get, (const char *k, void *b, size_t n, size_t *o), (k, b, n, o))                    \
    FWD(int, unset, (const char *k), (k))                                                         \
    FWD(int, list, (char **k, size_t m, size_t *o), (k, m, o))

#endif
