/*
 * abort_open.c - a test implementation that creates stores correctly but
 * aborts in splinter_open (an assertion on a field it misreads). The probe
 * passes; every rule, worker and benchmark that opens a store dies of
 * SIGABRT, and each must be reported as a failure of the implementation.
 */
#include "forward.h"

int splinter_open(const char *name);
int splinter_open(const char *name)
{
    (void)name;
    abort();
}

FWD(int, create, (const char *n, size_t s, size_t v), (n, s, v))
FWD(int, create_or_open, (const char *n, size_t s, size_t v), (n, s, v))
FWD(int, get_header_snapshot, (splinter_header_snapshot_t * s), (s))
FWD(uint64_t, get_epoch, (const char *k), (k))
FWD(int, retrain_slot, (const char *k), (k))
FWD_CORE_BUT_CREATE_OPEN()
