/*
 * fwd_shim.c - a pure forwarding library over another implementation, the
 * way language bindings and wrappers load one: every public splinter_*
 * function (ref/include/splinter.h) forwards to the same function of the
 * library named by $SPLSUITE_SHIM_TARGET (default: SHIM_TARGET, set by the
 * build), dlopen'ed on first use with RTLD_LOCAL, plus RTLD_DEEPBIND when
 * built with -DSHIM_DEEPBIND (the target then binds its own libc calls
 * first, past anything the loading program defines).
 *
 * A correct implementation reached through it must pass every rule: the
 * harness may not depend on how the implementation is loaded (issue 11).
 * It forwards only what the public header declares: no splinter_ref_version,
 * so the harness detects the backend by itself, as for a foreign library.
 */
#include "splinter.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef SHIM_TARGET
#define SHIM_TARGET "libsplref.so"
#endif
#ifdef SHIM_DEEPBIND
#define SHIM_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#else
#define SHIM_FLAGS (RTLD_NOW | RTLD_LOCAL)
#endif

static void *target;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    const char *t = getenv("SPLSUITE_SHIM_TARGET");
    target = dlopen(t && *t ? t : SHIM_TARGET, SHIM_FLAGS);
    if (!target) {
        fprintf(stderr, "fwd_shim: dlopen %s: %s\n", t && *t ? t : SHIM_TARGET, dlerror());
        abort(); /* a shim without its target is a broken installation, not an implementation */
    }
}

static void *sym(const char *name)
{
    pthread_once(&once, load);
    void *p = dlsym(target, name);
    if (!p) {
        fprintf(stderr, "fwd_shim: the target does not export %s\n", name);
        abort();
    }
    return p;
}

/* FWD(ret, name, (params), (args)): one forwarder, resolved once. */
#define FWD(ret, name, params, args)                                         \
    ret splinter_##name params                                               \
    {                                                                        \
        static ret(*fn) params;                                              \
        if (!fn) *(void **)&fn = sym("splinter_" #name);                     \
        return fn args;                                                      \
    }

FWD(int, create, (const char *n, size_t s, size_t m), (n, s, m))
FWD(int, open, (const char *n), (n))
FWD(int, create_or_open, (const char *n, size_t s, size_t m), (n, s, m))
FWD(int, open_or_create, (const char *n, size_t s, size_t m), (n, s, m))
FWD(void, close, (void), ())
FWD(void *, open_numa, (const char *n, int node), (n, node))
FWD(int, set_mop, (unsigned int m), (m))
FWD(int, get_mop, (void), ())
FWD(void, purge, (void), ())
FWD(int, set, (const char *k, const void *v, size_t l), (k, v, l))
FWD(int, unset, (const char *k), (k))
FWD(int, get, (const char *k, void *b, size_t bs, size_t *o), (k, b, bs, o))
FWD(int, list, (char **ks, size_t m, size_t *c), (ks, m, c))
FWD(int, poll, (const char *k, uint64_t t), (k, t))
FWD(int, append, (const char *k, const void *d, size_t l, size_t *nl), (k, d, l, nl))
FWD(const void *, get_raw_ptr, (const char *k, size_t *o, uint64_t *e), (k, o, e))
FWD(int, set_as_system, (const char *k), (k))
FWD(int, get_header_snapshot, (splinter_header_snapshot_t *s), (s))
FWD(int, get_slot_snapshot, (const char *k, splinter_slot_snapshot_t *s), (k, s))
FWD(void, config_set, (struct splinter_header *h, uint8_t m), (h, m))
FWD(void, config_clear, (struct splinter_header *h, uint8_t m), (h, m))
FWD(int, config_test, (struct splinter_header *h, uint8_t m), (h, m))
FWD(uint8_t, config_snapshot, (struct splinter_header *h), (h))
FWD(void, slot_usr_set, (struct splinter_slot *s, uint16_t m), (s, m))
FWD(void, slot_usr_clear, (struct splinter_slot *s, uint16_t m), (s, m))
FWD(int, slot_usr_test, (struct splinter_slot *s, uint16_t m), (s, m))
FWD(uint16_t, slot_usr_snapshot, (struct splinter_slot *s), (s))
FWD(int, set_named_type, (const char *k, uint16_t m), (k, m))
FWD(int, set_slot_time, (const char *k, unsigned short m, uint64_t e, size_t o), (k, m, e, o))
FWD(int, integer_op, (const char *k, splinter_integer_op_t op, const void *m), (k, op, m))
FWD(uint64_t, get_epoch, (const char *k), (k))
FWD(int, bump_slot, (const char *k), (k))
FWD(int, retrain_slot, (const char *k), (k))
FWD(int, set_label, (const char *k, uint64_t m), (k, m))
FWD(int, unset_label, (const char *k, uint64_t m), (k, m))
FWD(int, client_set_tandem, (const char *b, const void **v, const size_t *l, uint8_t o), (b, v, l, o))
FWD(void, client_unset_tandem, (const char *b, uint8_t o), (b, o))
FWD(int, watch_register, (const char *k, uint8_t g), (k, g))
FWD(int, watch_unregister, (const char *k, uint8_t g), (k, g))
FWD(int, watch_label_register, (uint64_t m, uint8_t g), (m, g))
FWD(void, pulse_watchers, (struct splinter_slot *s), (s))
FWD(int, pulse_keygroup, (const char *k), (k))
FWD(uint64_t, get_signal_count, (uint8_t g), (g))
FWD(void, enumerate_matches, (uint64_t m, void (*cb)(const char *, uint64_t, void *), void *d), (m, cb, d))
FWD(int, event_bus_init, (void), ())
FWD(int, event_bus_open, (void), ())
FWD(int, event_bus_wait, (int fd, uint64_t t), (fd, t))
FWD(void, event_bus_close, (int fd), (fd))
FWD(void, event_bus_get_dirty, (uint64_t *o, size_t w), (o, w))
FWD(int, shard_claim_ex, (uint32_t id, uint32_t pid, uint8_t it, uint8_t pr, uint64_t d, uint64_t at), (id, pid, it, pr, d, at))
FWD(int, shard_claim, (uint32_t id, uint8_t it, uint8_t pr, uint64_t d), (id, it, pr, d))
FWD(int, shard_rebid, (uint32_t id, uint8_t it, uint8_t pr, uint64_t d), (id, it, pr, d))
FWD(int, shard_release, (uint32_t id), (id))
FWD(uint32_t, shard_election, (uint8_t *oi), (oi))
FWD(int, shard_is_sovereign, (uint32_t id), (id))
FWD(int, shard_table_snapshot, (struct splinter_shard_bid_snapshot *o, size_t m), (o, m))
FWD(int, madvise, (uint32_t id, void *a, size_t l, int adv, uint64_t t), (id, a, l, adv, t))
/* splinter_now is inline in splinter.h, as in the original's header: nothing to forward */
#ifdef SPLINTER_EMBEDDINGS
FWD(int, set_embedding, (const char *k, const float *v), (k, v))
FWD(int, get_embedding, (const char *k, float *o), (k, o))
#endif
