/*
 * now.c - splinter_now(): the bid table's clock.
 * The original header has it inline; we export it as a symbol as well.
 */
#include "store.h"

#include <time.h>

uint64_t sr_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

uint64_t splinter_now(void) { return sr_now(); }
