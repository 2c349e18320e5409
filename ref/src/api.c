/*
 * api.c - the original process-global splinter_* ABI over a default handle.
 *
 * libsplref.so is built with SPLREF_DEFAULT_BACKEND=SPLREF_BACKEND_SHM,
 * libsplref_p.so with SPLREF_BACKEND_FILE; nothing else differs.
 */
#include "store.h"

#include <sys/mman.h>
#include <unistd.h>

#ifndef SPLREF_DEFAULT_BACKEND
#define SPLREF_DEFAULT_BACKEND SPLREF_BACKEND_SHM
#endif

static splref_store *_Atomic g_store;

#define G atomic_load_explicit(&g_store, memory_order_acquire)

static int install(splref_store *st)
{
    if (!st) return -1;
    splref_store *old = atomic_exchange(&g_store, st);
    splref_close(old);
    return 0;
}

int splinter_create(const char *name, size_t slots, size_t max_value_sz)
{
    if (!name) return -2;
    if (slots == 0 || max_value_sz == 0) { errno = ENOTSUP; return -2; }
    return install(splref_create(SPLREF_DEFAULT_BACKEND, name, slots, max_value_sz));
}

/* Installs an opened store, or after a failed open leaves no store: later
 * calls refuse (-2) rather than answer from the store that was open before
 * (the original keeps using that mapping, or the one of the file it just
 * refused). */
static int install_opened(splref_store *st)
{
    if (!st && !MUTANT(open_keeps_old)) {
        int saved = errno;
        splref_close(atomic_exchange(&g_store, NULL));
        errno = saved;
    }
    return install(st);
}

int splinter_open(const char *name)
{
    if (!name) return -2;
    return install_opened(splref_open(SPLREF_DEFAULT_BACKEND, name));
}

/* mut:create_or_open_reinit: the store opened is formatted again (every slot emptied) */
static void reformat(splref_store *st)
{
    for (uint32_t i = 0; i < st->nslots; i++) {
        memset(&st->S[i], 0, sizeof st->S[i]);
        st->S[i].val_off = (uint32_t)((size_t)i * st->max_val);
        atomic_store(&st->S[i].type_flag, SPL_SLOT_DEFAULT_TYPE);
    }
}

/* Several processes may create-or-open one new name at once: the losers of
 * the exclusive create open the winner's store, waiting (SR_CREATE_WAIT_NS)
 * while it is still being sized and initialised, instead of failing with
 * EBADMSG. If the store vanishes in between (its creator failed and removed
 * it), the create is tried again. */
int splinter_create_or_open(const char *name, size_t slots, size_t max_value_sz)
{
    for (int tries = 0; tries < 3; tries++) {
        int rc = splinter_create(name, slots, max_value_sz);
        if (MUTANT(create_or_open_recreates) && rc != 0 && errno == EEXIST) {
            if (SPLREF_DEFAULT_BACKEND == SPLREF_BACKEND_FILE) unlink(name); else shm_unlink(name);
            return splinter_create(name, slots, max_value_sz);
        }
        if (rc == 0 || errno != EEXIST) return rc;
        /* mut:create_race_transient: the loser opens once, as the original does */
        splref_store *st = MUTANT(create_race_transient) ? splref_open(SPLREF_DEFAULT_BACKEND, name)
                                                         : sr_open_wait(SPLREF_DEFAULT_BACKEND, name, SR_CREATE_WAIT_NS);
        if (st && MUTANT(create_or_open_reinit)) reformat(st);
        if (st || errno != ENOENT) return install_opened(st);
    }
    return install_opened(NULL);
}

int splinter_open_or_create(const char *name, size_t slots, size_t max_value_sz)
{
    if (!name) return -2;
    for (int tries = 0; tries < 3; tries++) {
        splref_store *st = sr_open_wait(SPLREF_DEFAULT_BACKEND, name, SR_CREATE_WAIT_NS);
        if (st || errno != ENOENT) return install_opened(st);
        int rc = splinter_create(name, slots, max_value_sz);
        if (rc == 0 || errno != EEXIST || MUTANT(open_or_create_eexist)) return rc; /* EEXIST: created meanwhile, open it */
    }
    return install_opened(NULL);
}

void splinter_close(void) { if (!MUTANT(close_keeps_store)) splref_close(atomic_exchange(&g_store, NULL)); }

void *splinter_open_numa(const char *name, int target_node)
{
    splref_store *st = splref_open(SPLREF_DEFAULT_BACKEND, name);
    if (!st) return NULL;
    if (splref_bind_node(st, target_node) != 0) {
        int saved = errno;
        splref_close(st);
        errno = saved;
        return NULL;
    }
    install(st);
    return splref_base(st);
}

const char *splinter_ref_version(void)
{
    return SPLREF_DEFAULT_BACKEND == SPLREF_BACKEND_FILE ? "splref " SPLREF_VERSION_STRING " (file)"
                                                         : "splref " SPLREF_VERSION_STRING " (shm)";
}

int splinter_flush(int strategy) { return splref_flush(G, strategy); }
int splinter_set_mop(unsigned int mode) { return splref_set_mop(G, mode); }
int splinter_get_mop(void) { return splref_get_mop(G); }
void splinter_purge(void) { splref_purge(G); }
int splinter_set(const char *k, const void *v, size_t n) { return splref_set(G, k, v, n); }
int splinter_unset(const char *k) { return splref_unset(G, k); }
int splinter_get(const char *k, void *b, size_t bs, size_t *o) { return splref_get(G, k, b, bs, o); }
int splinter_list(char **ks, size_t m, size_t *c) { return splref_list(G, ks, m, c); }
int splinter_poll(const char *k, uint64_t t) { return splref_poll(G, k, t); }
int splinter_append(const char *k, const void *d, size_t n, size_t *nl) { return splref_append(G, k, d, n, nl); }
const void *splinter_get_raw_ptr(const char *k, size_t *o, uint64_t *e) { return splref_get_raw_ptr(G, k, o, e); }
int splinter_set_as_system(const char *k) { return splref_set_as_system(G, k); }
int splinter_get_header_snapshot(splinter_header_snapshot_t *s) { return splref_get_header_snapshot(G, s); }
int splinter_get_slot_snapshot(const char *k, splinter_slot_snapshot_t *s) { return splref_get_slot_snapshot(G, k, s); }
int splinter_set_named_type(const char *k, uint16_t m) { return splref_set_named_type(G, k, m); }
int splinter_set_slot_time(const char *k, unsigned short m, uint64_t e, size_t o) { return splref_set_slot_time(G, k, m, e, o); }
int splinter_integer_op(const char *k, splinter_integer_op_t op, const void *m) { return splref_integer_op(G, k, op, m); }
uint64_t splinter_get_epoch(const char *k) { return splref_get_epoch(G, k); }
int splinter_bump_slot(const char *k) { return splref_bump_slot(G, k); }
int splinter_retrain_slot(const char *k) { return splref_retrain_slot(G, k); }
int splinter_set_label(const char *k, uint64_t m) { return splref_set_label(G, k, m); }
int splinter_unset_label(const char *k, uint64_t m) { return splref_unset_label(G, k, m); }
int splinter_client_set_tandem(const char *b, const void **v, const size_t *l, uint8_t o) { return splref_set_tandem(G, b, v, l, o); }
void splinter_client_unset_tandem(const char *b, uint8_t o) { splref_unset_tandem(G, b, o); }
int splinter_watch_register(const char *k, uint8_t g) { return splref_watch_register(G, k, g); }
int splinter_watch_unregister(const char *k, uint8_t g) { return splref_watch_unregister(G, k, g); }
int splinter_watch_label_register(uint64_t m, uint8_t g) { return splref_watch_label_register(G, m, g); }
void splinter_pulse_watchers(struct splinter_slot *s) { splref_pulse_watchers(G, s); }
int splinter_pulse_keygroup(const char *k) { return splref_pulse_keygroup(G, k); }
uint64_t splinter_get_signal_count(uint8_t g) { return splref_get_signal_count(G, g); }
void splinter_enumerate_matches(uint64_t m, void (*cb)(const char *, uint64_t, void *), void *d) { splref_enumerate_matches(G, m, cb, d); }
int splinter_event_bus_init(void) { return splref_event_bus_init(G); }
int splinter_event_bus_open(void) { return splref_event_bus_open(G); }
void splinter_event_bus_get_dirty(uint64_t *o, size_t w) { splref_event_bus_get_dirty(G, o, w); }
int splinter_shard_claim_ex(uint32_t id, uint32_t pid, uint8_t it, uint8_t pr, uint64_t d, uint64_t at) { return splref_shard_claim_ex(G, id, pid, it, pr, d, at); }
int splinter_shard_claim(uint32_t id, uint8_t it, uint8_t pr, uint64_t d) { return splref_shard_claim_ex(G, id, (uint32_t)(MUTANT(claim_wrong_pid) ? getppid() : getpid()), it, pr, d, splinter_now()); }
int splinter_shard_rebid(uint32_t id, uint8_t it, uint8_t pr, uint64_t d) { return splref_shard_rebid(G, id, it, pr, d); }
int splinter_shard_release(uint32_t id) { return splref_shard_release(G, id); }
uint32_t splinter_shard_election(uint8_t *oi) { return splref_shard_election(G, oi); }
int splinter_shard_is_sovereign(uint32_t id) { return splref_shard_is_sovereign(G, id); }
int splinter_shard_table_snapshot(struct splinter_shard_bid_snapshot *o, size_t m) { return splref_shard_table_snapshot(G, o, m); }
int splinter_madvise(uint32_t id, void *a, size_t l, int adv, uint64_t t) { return splref_madvise(G, id, a, l, adv, t); }
#ifdef SPLINTER_EMBEDDINGS
int splinter_set_embedding(const char *k, const float *v) { return splref_set_embedding(G, k, v); }
int splinter_get_embedding(const char *k, float *o) { return splref_get_embedding(G, k, o); }
#endif
