/*
 * splref_mutants.h - the table of deliberate faults of the reference, for
 * proving the suite's checkers can fail. Public to the suite (lib/impl.c
 * lists them, conform --kill-mutants runs them) and parsed by ref/meson.build,
 * which builds one extra library per row with -DSPLREF_MUTANT=<id>; each row
 * names the fault, and the conformance rule or tool expected to catch it
 * (the conformance suite asserts that it does). The MUTANT() switch the
 * reference's code tests is private: ref/src/mutant.h.
 */
#ifndef SPLREF_MUTANTS_H
#define SPLREF_MUTANTS_H

/* X(id, name, catcher, what goes wrong). The rows are kept in blocks by
 * area, each with its own id range, so that work on different areas adds
 * rows without touching the same lines:
 *   1-29 the first rule set, 30-79 single-call contract (API, FMT, ELE, ...),
 *   80-119 multi-process histories (SEQ, BUS, lifecycle races),
 *   120-149 reference defects, 150-179 hostile peers and resources,
 *   180-199 performance (planted slowdowns for the perf gate). */
#define SPLREF_MUTANTS_CORE(X)                                                                       \
    X(1, skip_odd, "SEQ-001", "writer copies the value without taking the odd phase")               \
    X(2, reader_no_recheck, "SEQ-001", "reader skips the second epoch check")                       \
    X(3, torn_write, "SEQ-001", "writer publishes an even epoch between two halves of the value")    \
    X(4, epoch_plus_one, "SEQ-002", "a completed write advances the slot epoch by 1, not 2")         \
    X(5, bid_bumps_epoch, "EPO-002", "shard claims and releases bump the global epoch")              \
    X(6, set_no_global_epoch, "EPO-001", "set does not advance the global epoch")                   \
    X(7, no_pulse, "SIG-001", "writes do not pulse watched signal groups")                          \
    X(8, label_no_pulse, "SIG-002", "writes do not pulse label-mapped signal groups")               \
    X(9, reversed_tiebreak, "ELE-002", "election prefers the latest claim on a priority tie")       \
    X(10, expiry_off_by_one, "ELE-003", "a bid whose elapsed time equals its duration is still live") \
    X(11, dontneed_wins, "ELE-004", "DONTNEED may win over live WILLNEED/SEQUENTIAL bids")           \
    X(12, bid_table_unbounded, "ELE-005", "the 33rd claim overwrites a bid instead of ENOSPC")        \
    X(13, madvise_not_sovereign, "ELE-006", "splinter_madvise calls posix_madvise without being sovereign") \
    X(14, bus_no_dirty, "BUS-002", "the event bus forgets to set the slot's dirty bit")              \
    X(15, trust_truncated, "SEC-001", "open trusts a truncated file's header geometry")             \
    X(16, hybrid_no_round, "API-003", "hybrid mop scrubs exactly len bytes, not the 64-byte rounding") \
    X(17, dec_no_borrow, "API-005", "integer DEC drops the borrow out of the low byte")              \
    X(18, no_emsgsize, "API-001", "oversized values are truncated and stored instead of EMSGSIZE")   \
    X(19, unset_returns_zero, "API-002", "unset returns 0 instead of the deleted value's length")    \
    X(20, flush_noop, "DUR-001", "splinter_flush returns success without syncing anything")        \
    X(21, slow_keycmp, "perf-gate", "an extra pass over the key on every lookup (planted slowdown)") \
    X(22, wrong_hash, "FMT-003", "FNV-1a with the wrong offset basis: stores unreadable by others")

/* 30-79: the single-call contract */
#define SPLREF_MUTANTS_CALL(X)

/* 80-119: multi-process histories */
#define SPLREF_MUTANTS_HIST(X)

/* 120-149: defects of the original the reference must not have */
#define SPLREF_MUTANTS_REFDEF(X)

/* 150-179: hostile peers, full disks, limits */
#define SPLREF_MUTANTS_HOSTILE(X)

/* 180-199: performance */
#define SPLREF_MUTANTS_PERF(X)

#define SPLREF_MUTANTS(X)                                                                            \
    SPLREF_MUTANTS_CORE(X) SPLREF_MUTANTS_CALL(X) SPLREF_MUTANTS_HIST(X) SPLREF_MUTANTS_REFDEF(X)    \
    SPLREF_MUTANTS_HOSTILE(X) SPLREF_MUTANTS_PERF(X)

#endif
