/*
 * splref_mutants.h - the table of deliberate faults of the reference, for
 * proving the suite's checkers can fail. Public to the suite (lib/impl.c
 * lists them, conform --kill-mutants runs them) and parsed by ref/meson.build,
 * which builds one extra library per row (the reference compiled once with
 * the switch read at run time, linked with the row's id; planted slowdowns
 * compiled apart with -DSPLREF_MUTANT=<id>: src/mutant.h); each row
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
#define SPLREF_MUTANTS_CALL(X)                                                                       \
    X(30, miss_eagain, "ERR-001", "a lookup that misses says EAGAIN (retry) instead of ENOENT")      \
    X(31, full_no_enospc, "ERR-002", "set into a full store fails with errno untouched, not ENOSPC") \
    X(32, null_header_snapshot, "ERR-003", "get_header_snapshot(NULL) writes through the NULL pointer") \
    X(33, close_keeps_store, "ERR-004", "splinter_close does nothing: the closed store still answers") \
    X(34, list_drops_last, "API-009", "list leaves out the last live key it finds")                 \
    X(35, hdr_snap_no_user_flags, "API-010", "the header snapshot reports user_flags 0")             \
    X(36, slot_snap_atime_ctime, "API-011", "the slot snapshot reports ctime as atime")             \
    X(37, config_clear_all, "API-012", "config_clear clears every core flag, not only the mask")    \
    X(38, usr_test_any, "API-013", "slot_usr_test is true when any user bit is set")               \
    X(39, slot_time_no_offset, "API-014", "set_slot_time ignores the offset")                       \
    X(40, raw_ptr_no_epoch, "API-015", "get_raw_ptr reports epoch 0")                               \
    X(41, bump_no_pulse, "API-016", "bump_slot does not pulse the slot's watchers")                 \
    X(42, pulse_keygroup_twice, "API-017", "pulse_keygroup pulses every group twice")               \
    X(43, enum_any_bit, "API-018", "enumerate_matches takes a key with any bit of the mask")        \
    X(44, create_or_open_recreates, "API-019", "create_or_open re-creates an existing store (wipes it)") \
    X(45, numa_no_bind, "API-020", "open_numa maps the store without binding it to the node")       \
    X(46, now_backwards, "API-021", "splinter_now goes back 1e6 ticks every 4096th call")          \
    X(47, bus_close_noop, "BUS-004", "event_bus_close leaves the descriptor open")                  \
    X(48, dirty_overrun, "BUS-005", "event_bus_get_dirty copies as many words as asked, past the 16 of the mask") \
    X(49, close_leaks_fd, "RES-003", "splinter_close unmaps the store but leaks its descriptor")   \
    X(50, purge_skips_tombstones, "SCR-005", "purge leaves the value areas of unset slots as they were") \
    X(51, unset_keeps_key, "SCR-006", "unset under a scrubbing mop clears only the key's first byte") \
    X(52, rebid_keeps_stamp, "ELE-010", "a re-bid changes intent, priority and duration but keeps the old claimed_at") \
    X(53, release_keeps_pid, "ELE-011", "a release clears the record but its pid")                    \
    X(54, claim_wrong_pid, "ELE-012", "shard_claim stamps the parent's pid, not the caller's")        \
    X(55, full_mop_rounds, "SCR-001", "mop mode 2 scrubs only to the 64-byte rounding, like mode 1") \
    X(56, promote_no_scrub, "SCR-003", "BIGUINT promotion leaves stale bytes past the 8 it writes")  \
    X(57, get_no_bounds, "SEC-004", "open and get trust a slot's val_off/val_len: a damaged slot is read outside its value")

/* 80-119: multi-process histories */
#define SPLREF_MUTANTS_HIST(X)                                                                       \
    X(80, get_miss_while_locked, "LIN-001", "get reports a miss (ENOENT) when a writer holds the key's slot") \
    X(81, get_stale_while_locked, "SEQ-008", "get serves the last value this process read when a writer holds the slot") \
    X(82, intop_read_unlocked, "ATM-001", "integer_op reads the value before taking the slot (concurrent ops lose updates)") \
    X(83, append_len_unlocked, "ATM-002", "append reads the current length before taking the slot (appends overwrite each other)") \
    X(84, tandem_unlocked_orders, "LIN-004", "tandem set overwrites existing orders in place, without their seqlock") \
    X(85, tandem_last_deferred, "ATM-003", "tandem set writes its last order only at this process's next tandem call") \
    X(86, bus_notify_early, "WAK-001", "set signals the event bus before it writes the value (a wake before the data)") \
    X(87, poll_odd_wake, "WAK-002", "poll returns as soon as the epoch moves, even to odd (a writer still inside)") \
    X(88, pulse_early, "WAK-003", "set pulses the watching signal groups before it writes the value") \
    X(89, bus_wait_naps, "WAK-004", "event_bus_wait checks the eventfd every 10 ms instead of blocking on it") \
    X(90, poll_late_sample, "WAK-005", "poll takes its starting epoch after a first 2 ms nap (misses writes in that window)") \
    X(91, get_spins_on_odd, "DWR-001", "get waits for a writer inside the slot to finish instead of EAGAIN (hangs on a dead one)") \
    X(92, create_or_open_reinit, "LCY-003", "create_or_open of an existing store opens it and formats it again") \
    X(93, election_cached, "LCY-005", "each process reuses its last election result for 50 ms")

/* 120-149: defects of the original the reference must not have */
#define SPLREF_MUTANTS_REFDEF(X)                                                                     \
    X(120, open_keeps_old, "RES-002", "a failed open keeps the store open before it answering calls (the original)") \
    X(121, tie_table_order, "ELE-008", "a full election tie goes to the first record in table order (the original)") \
    X(122, bus_no_store_errno, "ERR-004", "event_bus_init/open with no store fail with errno untouched (the original)") \
    X(123, offsets_truncated, "RES-001", "a geometry whose value offsets pass 4 GiB is accepted, val_off truncated (the original)") \
    X(124, append_no_scrub, "SCR-002", "append leaves an older value's bytes in the new length's rounding (the original)") \
    X(125, system_stale, "SCR-004", "set_as_system exposes an older value's bytes as the value (the original)") \
    X(126, future_claim_expired, "ELE-009", "a bid claimed in the future counts as expired: unsigned now - claimed_at wraps (the original)") \
    X(136, retrain_republishes, "DWR-002", "recovering a dead writer's slot republishes its half-written bytes (the original's retrain)") \
    X(137, claim_unlocked, "LCY-004", "a claim looks for its id, then CASes an empty record, without the table lock or removing duplicates (the original)") \
    X(138, create_race_transient, "LCY-001", "a process that loses the create race opens once, without waiting for the winner (the original)") \
    X(139, set_eagain_contended, "LCY-006", "writers do not wait out contention: EAGAIN as soon as the slot is held") \
    X(140, open_or_create_eexist, "LCY-002", "open_or_create returns the EEXIST of a create it lost, instead of opening (the original)")

/* 150-179: hostile peers, full disks, limits. A catcher "test:NAME" is the
 * meson test NAME (suite ref), not a conformance rule. */
#define SPLREF_MUTANTS_HOSTILE(X)                                                                    \
    X(150, val_off_reread, "test:reread-shm", "a writer checks val_off, then loads it again for the address: a peer picks the address in between") \
    X(151, append_checks_len_only, "test:reread-shm", "append checks only the bytes it writes against the arena; its mop scrub runs past the mapping") \
    X(152, enum_shared_key, "test:ref-mt-enumerate-shm", "enumerate_matches hands the callback the shared key bytes, which an insert or unset may be rewriting") \
    X(153, create_sparse, "test:fullfs-shm", "create sizes the store with ftruncate (sparse, as the original): a full filesystem is a SIGBUS in create or in a later set, not ENOSPC") \
    X(154, bus_trusts_owner, "test:hostile-bus-shm", "event_bus_open uses whatever descriptor owner_pid/owner_fd name (the original): a planted pipe, socket or foreign eventfd gets every notification") \
    X(155, bus_init_closes_old, "test:hostile-bus-shm", "event_bus_init closes the armed descriptor while other threads may be writing to it: a reused number receives notifications") \
    X(156, umask_invalid_ignored, "test:unit-lifecycle-shm", "an invalid SPLINTER_DEFAULT_UMASK (9z, 0777x) is ignored: the store is created under the process umask (the original)") \
    X(157, get_miss_after_eagain, "test:torture-mut-get-miss-after-eagain", "one get in 512 of a present key says EAGAIN, and its retry a miss that leaves errno as it was (as every miss does): a caller reading a stale errno takes the miss for contention") \
    X(158, open_rereads_geometry, "test:reread-shm", "open validates slots and max_val_sz, then copies them from the header again into the handle (the original): a peer picks the geometry in between") \
    X(159, no_symlinks_ignored, "test:paths-file", "SPLINTER_NO_SYMLINKS=1 is ignored: a symlinked directory along a file store's path redirects create and open (the original)")

/* 180-199: performance (planted slowdowns the perf gate must flag) */
#define SPLREF_MUTANTS_PERF(X)                                                                       \
    X(180, slow_scan, "perf-gate", "list and enumerate_matches read every slot's key once more (planted slowdown)") \
    X(181, slow_miss, "perf-gate", "a get of an absent key walks its probe chain twice (planted slowdown)") \
    X(182, group_commit_stale, "test:unit-flush-file-catches-group_commit_stale", "group commit: a caller that finds a flush running returns when that flush completes, although it began before the caller's write") \
    X(183, group_commit_early, "test:torture-mut-group-commit-early", "group commit off by one: the last completed flush (done == ticket) counts as covering the caller, although it began before the caller's write")

#define SPLREF_MUTANTS(X)                                                                            \
    SPLREF_MUTANTS_CORE(X) SPLREF_MUTANTS_CALL(X) SPLREF_MUTANTS_HIST(X) SPLREF_MUTANTS_REFDEF(X)    \
    SPLREF_MUTANTS_HOSTILE(X) SPLREF_MUTANTS_PERF(X)

#endif
