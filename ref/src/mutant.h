/*
 * mutant.h - the switch the reference's code tests: a normal build has
 * SPLREF_MUTANT == 0 and every MUTANT() test folds to 0; a mutant library
 * tests the id it was linked with. The rows (id, name,
 * catcher, what) are in ref/include/splref_mutants.h.
 */
#ifndef SPLREF_MUTANT_H
#define SPLREF_MUTANT_H

#include "splref_mutants.h"

enum splref_mutant_id {
    MUT_none = 0,
#define SPLREF_MUT_ENUM(id, name, catcher, what) MUT_##name = id,
    SPLREF_MUTANTS(SPLREF_MUT_ENUM)
#undef SPLREF_MUT_ENUM
};

#if defined(SPLREF_MUTANT_RUNTIME)
/* One build serves every mutant: each mutant library is those same objects
 * linked with a one-line src/mutant_id.c that fixes this id, so the 80-odd
 * mutants cost one compile instead of one each (the build's largest part).
 * The planted slowdowns (catcher "perf-gate") keep the compile-time switch:
 * the perf gate compares their instruction counts with the normal build's. */
extern const int splref_mutant_id __attribute__((visibility("hidden")));
#define MUTANT(name) (splref_mutant_id == MUT_##name)
#else
#ifndef SPLREF_MUTANT
#define SPLREF_MUTANT 0
#endif
#define MUTANT(name) (SPLREF_MUTANT == MUT_##name)
#endif

#include <stddef.h>
/* The work a planted slowdown adds (PERF block): one more pass over n bytes
 * the path already reads, which no compiler may drop. */
static inline void sr_mutant_slow_pass(const char *p, size_t n)
{
    volatile size_t sum = 0;
    for (size_t i = 0; i < n && p[i]; ++i) sum = sum + (size_t)(unsigned char)p[i];
    (void)sum;
}

#endif
