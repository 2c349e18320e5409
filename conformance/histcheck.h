/*
 * histcheck.h - the rules' side of lib/lincheck: naming the values workers
 * wrote, turning a verdict into a rule's result, and printing the witness.
 * Shared by the history families (SEQ-008.., LIN, ATM, DWR).
 */
#ifndef SPLSUITE_HISTCHECK_H
#define SPLSUITE_HISTCHECK_H

#include "conform.h"
#include "lincheck.h"

/* A value a worker wrote, as a register value id: (writer + 1) << 40 | seq.
 * The harness's own initial value is hc_id(HC_INITIAL, 0). */
#define HC_INITIAL 0xFFFFu
static inline uint64_t hc_id(uint32_t writer, uint64_t seq) { return ((uint64_t)(writer + 1) << 40) | (seq & 0xFFFFFFFFFFull); }

/* Bounds of a history check inside a rule (a rule child has a deadline). */
struct lc_limits hc_limits(const struct conform *c);

/* lc_names for histories of hc_id values; keys named by fmt_key (printf
 * with %u: "conform-lin-%u"). */
struct hc_seqname { uint64_t hash, last; uint32_t nrec; };
struct hc_names {
    struct lc_names n;
    const char *key_fmt;
    bool counter; /* values are numbers, not ids */
    /* sequences seen (reads, resets), so a witness can say what they held */
    struct hc_seqname *seqs;
    size_t nseqs, capseqs;
};
void hc_names_init(struct hc_names *nm, const char *key_fmt, bool counter);
/* A sequence of nrec records ending with token last (an hc_id) is named hash. */
void hc_names_seq(struct hc_names *nm, uint64_t hash, uint32_t nrec, uint64_t last);
void hc_names_free(struct hc_names *nm);

/* Checks h and sets o: PASS (with `what` and the checker's figures), FAIL
 * (the witness as a counterexample) or ERROR (undecided: the bound hit).
 * t0 is the run's start, for times in the witness. */
enum lc_verdict hc_judge(struct rule_out *o, struct lc_history *h, const struct conform *c, uint64_t t0,
                         const struct hc_names *nm, const char *what);

#endif
