/*
 * half_abi.c - a correct implementation (a forwarding shim over the
 * reference) that exports only half the ABI: the data path, types, flags
 * and times, but no signals, watches, event bus, shard bids, madvise,
 * labels, tandem keys, flush or embeddings, and no splinter_ref_version
 * (so the backend is found by creating a store). The suite must skip what
 * needs a missing function, with its name, and pass the rest: no NULL call.
 */
#include "forward.h"

FWD(int, create, (const char *n, size_t s, size_t v), (n, s, v))
FWD(int, open, (const char *n), (n))
FWD(int, create_or_open, (const char *n, size_t s, size_t v), (n, s, v))
FWD(int, open_or_create, (const char *n, size_t s, size_t v), (n, s, v))
FWD_CORE_BUT_CREATE_OPEN()
FWD(int, set_mop, (unsigned int m), (m))
FWD(int, get_mop, (void), ())
FWD_VOID(purge, (void), ())
FWD(int, poll, (const char *k, uint64_t t), (k, t))
FWD(int, get_header_snapshot, (splinter_header_snapshot_t * s), (s))
FWD(int, get_slot_snapshot, (const char *k, splinter_slot_snapshot_t *s), (k, s))
FWD_VOID(config_set, (struct splinter_header * h, uint8_t m), (h, m))
FWD_VOID(config_clear, (struct splinter_header * h, uint8_t m), (h, m))
FWD(int, config_test, (struct splinter_header * h, uint8_t m), (h, m))
FWD(uint8_t, config_snapshot, (struct splinter_header * h), (h))
FWD_VOID(slot_usr_set, (struct splinter_slot * s, uint16_t m), (s, m))
FWD_VOID(slot_usr_clear, (struct splinter_slot * s, uint16_t m), (s, m))
FWD(int, slot_usr_test, (struct splinter_slot * s, uint16_t m), (s, m))
FWD(uint16_t, slot_usr_snapshot, (struct splinter_slot * s), (s))
FWD(int, set_named_type, (const char *k, uint16_t t), (k, t))
FWD(int, set_slot_time, (const char *k, unsigned short m, uint64_t t, size_t o), (k, m, t, o))
FWD(int, integer_op, (const char *k, splinter_integer_op_t op, const void *v), (k, op, v))
FWD(const void *, get_raw_ptr, (const char *k, size_t *n, uint64_t *e), (k, n, e))
FWD(uint64_t, get_epoch, (const char *k), (k))
FWD(int, bump_slot, (const char *k), (k))
FWD(int, retrain_slot, (const char *k), (k))
FWD(int, append, (const char *k, const void *v, size_t n, size_t *o), (k, v, n, o))
