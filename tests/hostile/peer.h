/*
 * peer.h - a hostile peer inside the test process, for the tests that check
 * the reference never leaves its mapping whatever another writer of the
 * region does (tests/hostile/reread.c, ci/fuzz/live_region.c).
 *
 * Two tools:
 *  - Guarded mappings: while peer_guard_on() is in force, every shared file
 *    mapping the library makes (mmap(NULL, len, .., MAP_SHARED, fd, 0)) is
 *    placed inside a PROT_NONE reservation, 1 MiB before it and 9 GiB after
 *    it (more than any 32-bit val_off + val_len can reach). A wild read or
 *    write past the store therefore faults instead of landing in the heap;
 *    the fault handler names it ("17 bytes past the end of the store") and
 *    the process exits PEER_EXIT_WILD.
 *  - The re-read trap: peer_trap(field, size, legit, hostile) makes a field
 *    of the mapping read `legit` the first time the library touches it and
 *    `hostile` every time after, as if a peer rewrote it right after the
 *    library's first look. The page holding the field is made PROT_NONE;
 *    every access to it faults, the handler sets the field, unprotects the
 *    page and single-steps the instruction (x86-64 trap flag), then protects
 *    the page again. An implementation that reads each shared field once
 *    sees only `legit`; one that checks a field and loads it again uses the
 *    hostile value, which the guards turn into a fault.
 *
 * x86-64 Linux only (the trap flag); peer_trap_supported() says so, and the
 * tests skip (77) elsewhere.
 */
#ifndef SPLSUITE_PEER_H
#define SPLSUITE_PEER_H

#include <stdbool.h>
#include <stddef.h>

enum { PEER_EXIT_WILD = 66 }; /* a child that touched memory outside its store exits with this */

/* Guarded placement of the library's shared mappings (off by default). */
void peer_guard_on(void);
void peer_guard_off(void);
/* Where the last guarded mapping is, and how many were made. */
void peer_guard_last(void **base, size_t *len);

/* Installs the SIGSEGV/SIGTRAP handlers (idempotent). */
void peer_handlers_install(void);

bool peer_trap_supported(void);
/* Arms the re-read trap on [field, field + size), size 1..8. */
void peer_trap(void *field, size_t size, const void *legit, const void *hostile);
/* Arms the trap on [off, off + size) of the next guarded mapping as soon
 * as it is made (legit = the bytes it has then): for fields that open reads. */
void peer_trap_on_map(size_t off, size_t size, const void *hostile);
/* Disarms it (the field keeps its last value); returns the number of
 * accesses the library made to the field while armed. */
int peer_trap_off(void);

#endif
