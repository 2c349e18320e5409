/*
 * splref.h - extensions of the splinter-suite reference library (libsplref).
 *
 * The original ABI (splinter.h) works on one process-global store. These
 * handle-based calls let one process hold several stores at once (fsck tools,
 * benchmarks comparing stores) and add durability control for persistent
 * stores. The global splinter_* functions are thin wrappers over a default
 * handle, so both views of one store behave identically.
 */
#ifndef SPLREF_H
#define SPLREF_H

#include "splinter.h"
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPLREF_VERSION_STRING "0.1.0" /* = meson.build project version (checked at configure) */

typedef struct splref_store splref_store;

enum splref_backend {
    SPLREF_BACKEND_SHM = 0,  /* shm_open(name) */
    SPLREF_BACKEND_FILE = 1, /* open(path), O_NOFOLLOW */
};

/* Durability strategies for persistent stores (splinter_flush). */
enum splinter_flush_strategy {
    SPLINTER_FLUSH_MSYNC = 0,        /* msync(MS_SYNC) of the whole map */
    SPLINTER_FLUSH_MSYNC_RANGES = 1, /* msync(MS_SYNC) of the dirtied page ranges only */
    SPLINTER_FLUSH_FDATASYNC = 2,    /* fdatasync(fd) */
    SPLINTER_FLUSH_URING_FSYNC = 3,  /* io_uring IORING_OP_FSYNC (DATASYNC) */
    SPLINTER_FLUSH_URING_RANGES = 4, /* io_uring sync_file_range over dirty ranges, linked to a DATASYNC fsync */
    SPLINTER_FLUSH_GROUP = 5,        /* group commit: fdatasync(fd), or return once another process's
                                        fdatasync that began after this call completes (docs/reference.md) */
    SPLINTER_FLUSH__COUNT
};

/* The names of the strategies above, in enum order: the one list that ref,
 * `splsuite bench` (its impl-<name> rows) and `splsuite torture --flush` use. */
#define SPLINTER_FLUSH_STRATEGY_NAMES {"msync", "msync-ranges", "fdatasync", "uring-fsync", "uring-ranges", "group"}

/* Flush strategy names, for CLIs (SPLINTER_FLUSH_STRATEGY_NAMES). NULL for an unknown value. */
const char *splinter_flush_strategy_name(int strategy);
int splinter_flush_strategy_parse(const char *name); /* -1 if unknown */

/* Makes every write this process made to the default store since its last
 * flush durable. 0, or -1 with errno (ENOTSUP on shm stores, EINVAL on an
 * unknown strategy, EIO or the kernel's error otherwise). */
int splinter_flush(int strategy);
/* Library version of the reference, "splref 1.0.0 (shm|file)". */
const char *splinter_ref_version(void);

/* ---- handle API -------------------------------------------------------- */
splref_store *splref_create(enum splref_backend be, const char *name, size_t slots, size_t max_val_sz);
splref_store *splref_open(enum splref_backend be, const char *name);
void splref_close(splref_store *st);
/* Bind the store's pages to a NUMA node (MPOL_BIND, move existing pages).
 * 0, or -1 with errno (ENOSYS when built without NUMA, EINVAL bad node). */
int splref_bind_node(splref_store *st, int node);

void *splref_base(splref_store *st);
size_t splref_size(splref_store *st);
int splref_fd(splref_store *st);
struct splinter_header *splref_header(splref_store *st);
struct splinter_slot *splref_slots(splref_store *st);
uint8_t *splref_values(splref_store *st);

int splref_set_mop(splref_store *st, unsigned int mode);
int splref_get_mop(splref_store *st);
void splref_purge(splref_store *st);
int splref_set(splref_store *st, const char *key, const void *val, size_t len);
int splref_unset(splref_store *st, const char *key);
int splref_get(splref_store *st, const char *key, void *buf, size_t buf_sz, size_t *out_sz);
int splref_list(splref_store *st, char **out_keys, size_t max_keys, size_t *out_count);
int splref_poll(splref_store *st, const char *key, uint64_t timeout_ms);
int splref_append(splref_store *st, const char *key, const void *data, size_t data_len, size_t *new_len);
const void *splref_get_raw_ptr(splref_store *st, const char *key, size_t *out_sz, uint64_t *out_epoch);
int splref_set_as_system(splref_store *st, const char *key);
int splref_get_header_snapshot(splref_store *st, splinter_header_snapshot_t *snap);
int splref_get_slot_snapshot(splref_store *st, const char *key, splinter_slot_snapshot_t *snap);
int splref_set_named_type(splref_store *st, const char *key, uint16_t mask);
int splref_set_slot_time(splref_store *st, const char *key, unsigned short mode, uint64_t epoch, size_t offset);
int splref_integer_op(splref_store *st, const char *key, splinter_integer_op_t op, const void *mask);
uint64_t splref_get_epoch(splref_store *st, const char *key);
int splref_bump_slot(splref_store *st, const char *key);
int splref_retrain_slot(splref_store *st, const char *key);
int splref_set_label(splref_store *st, const char *key, uint64_t mask);
int splref_unset_label(splref_store *st, const char *key, uint64_t mask);
int splref_set_tandem(splref_store *st, const char *base_key, const void **vals, const size_t *lens, uint8_t orders);
void splref_unset_tandem(splref_store *st, const char *base_key, uint8_t orders);
int splref_watch_register(splref_store *st, const char *key, uint8_t group_id);
int splref_watch_unregister(splref_store *st, const char *key, uint8_t group_id);
int splref_watch_label_register(splref_store *st, uint64_t bloom_mask, uint8_t group_id);
void splref_pulse_watchers(splref_store *st, struct splinter_slot *slot);
int splref_pulse_keygroup(splref_store *st, const char *key);
uint64_t splref_get_signal_count(splref_store *st, uint8_t group_id);
void splref_enumerate_matches(splref_store *st, uint64_t mask,
                              void (*cb)(const char *key, uint64_t epoch, void *data), void *data);
int splref_event_bus_init(splref_store *st);
int splref_event_bus_open(splref_store *st);
void splref_event_bus_get_dirty(splref_store *st, uint64_t *out, size_t words);
int splref_shard_claim_ex(splref_store *st, uint32_t shard_id, uint32_t pid, uint8_t intent, uint8_t priority,
                          uint64_t duration_tsc, uint64_t claimed_at);
int splref_shard_rebid(splref_store *st, uint32_t shard_id, uint8_t intent, uint8_t priority, uint64_t duration_tsc);
int splref_shard_release(splref_store *st, uint32_t shard_id);
uint32_t splref_shard_election(splref_store *st, uint8_t *out_intent);
int splref_shard_is_sovereign(splref_store *st, uint32_t shard_id);
int splref_shard_table_snapshot(splref_store *st, struct splinter_shard_bid_snapshot *out, size_t max);
int splref_madvise(splref_store *st, uint32_t shard_id, void *addr, size_t len, int advice, uint64_t timeout_ticks);
int splref_flush(splref_store *st, int strategy);
#ifdef SPLINTER_EMBEDDINGS
int splref_set_embedding(splref_store *st, const char *key, const float *vec);
int splref_get_embedding(splref_store *st, const char *key, float *out);
#endif

#ifdef __cplusplus
}
#endif
#endif
