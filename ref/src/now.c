/*
 * now.c - splinter_now() as a symbol.
 *
 * splinter.h defines splinter_now inline, as the original's header does; the
 * library exports a real function too, for programs compiled -O0 against the
 * original's header (its C99 inline is then a call to an external symbol).
 * The header's inline is included here under another name, so the clock is
 * written once.
 */
#define splinter_now sr_now_inline
#include "store.h"
#undef splinter_now

__attribute__((visibility("default"))) uint64_t splinter_now(void);
uint64_t splinter_now(void)
{
    static _Thread_local unsigned n;
    if (MUTANT(now_backwards) && ++n % 4096 == 0) return sr_now_inline() - 1000000;
    return sr_now_inline();
}
