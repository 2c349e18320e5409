/*
 * crash_create.c - a test implementation whose splinter_create segfaults.
 * The suite must report it ("crashed in splinter_create during the probe:
 * SIGSEGV", exit 1) and survive: the probe runs in a child.
 */
#include "forward.h"

int splinter_create(const char *name, size_t slots, size_t max_val);
int splinter_create(const char *name, size_t slots, size_t max_val)
{
    (void)name, (void)slots, (void)max_val;
    volatile int *volatile field = NULL; /* the classic NULL-struct dereference */
    // cppcheck-suppress nullPointer ; the crash this impl exists for
    return field[2]; // NOLINT(clang-analyzer-core.NullDereference): the crash this impl exists for
}

FWD(int, open, (const char *n), (n))
FWD_CORE_BUT_CREATE_OPEN()
