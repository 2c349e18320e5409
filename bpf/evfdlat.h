/*
 * evfdlat.h - keys of the eventfd probe's maps, shared by evfdlat.bpf.c and
 * trace_eventfd.c.
 */
#ifndef SPLSUITE_EVFDLAT_H
#define SPLSUITE_EVFDLAT_H

#include "trace_hist.h"

#define EVFD_MAX_CPUS 1024

enum { EVFD_WAKE = 0, EVFD_RETURN = 1 };

/* One histogram per writer node x waiter node x what. */
struct evfd_key {
    __u16 wnode;  /* node of the CPU the eventfd write ran on */
    __u16 rnode;  /* wake: node of the CPU the waiter was woken onto; return: node it returned on */
    __u8 what;    /* EVFD_WAKE or EVFD_RETURN */
    __u8 pad[3];
};

/* Counters per writer node, so writes that woke nobody are visible. */
struct evfd_count {
    __u64 writes;   /* write(2) calls on an eventfd */
    __u64 wakes;    /* tasks woken from inside those writes */
};

#endif
