/*
 * hang_create.c - a test implementation whose splinter_create never returns
 * (a lock nobody releases). The probe's deadline must end it: "hung in
 * splinter_create during the probe", exit 1, nothing left behind.
 */
#include "forward.h"

#include <unistd.h>

int splinter_create(const char *name, size_t slots, size_t max_val);
int splinter_create(const char *name, size_t slots, size_t max_val)
{
    (void)name, (void)slots, (void)max_val;
    for (;;) pause();
}

FWD(int, open, (const char *n), (n))
FWD_CORE_BUT_CREATE_OPEN()
