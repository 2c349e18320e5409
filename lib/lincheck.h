/*
 * lincheck.h - is a logged multi-process history linearizable?
 *
 * The history is a list of calls, each with the time it was invoked and the
 * time it returned (as the worker saw them, so the true interval lies inside),
 * the process that made it, what it asked and what it got back. The checker
 * decides whether some total order of the calls, consistent with their real
 * time order (a call that returned before another began comes first), makes
 * every result what a sequential model of the key would have answered.
 *
 * How (Wing & Gong, with Lowe's just-in-time linearisation, as Porcupine and
 * Knossos do it):
 * - P-compositionality: every key (object) is checked on its own; a history
 *   is linearizable iff each key's sub-history is.
 * - A key's history is cut at quiescent points (no call pending): every call
 *   before such a point precedes every call after it, so the set of states
 *   the key can be in there is carried from one segment to the next, and
 *   each segment is searched alone (small bitsets, bounded memory).
 * - Inside a segment, a depth-first search linearises calls one at a time
 *   (a call may go next only if no other unlinearised call returned before it
 *   was invoked) and backtracks; visited (set of linearised calls, model
 *   state) pairs are memoised (a 128-bit Zobrist hash of the set and the state),
 *   so no configuration is explored twice.
 * - Bounded: steps, time and states; past a bound the verdict is UNDECIDED,
 *   never a hang and never a guess.
 *
 * Call outcomes: DONE (returned, result known); FAILED (EAGAIN and other
 * failures that have no effect: left out); UNKNOWN (the process died inside
 * the call, or it timed out: it may or may not have taken effect, its result
 * is unknown; its return time is when the process was seen dead, or
 * LC_NEVER).
 *
 * Models (every state is one 64-bit word, so states memoise and compare):
 * - LC_REGISTER  set(v) / get -> v | LC_ABSENT (a miss) / unset -> LC_PRESENT |
 *                LC_ABSENT. Values are the caller's ids; LC_GARBAGE never matches
 *                (a torn or foreign value read back).
 * - LC_COUNTER   integer_op(op, operand) with the 64-bit semantics of
 *                splinter_integer_op, get -> value, set(v).
 * - LC_SEQUENCE  append(token) / get -> sequence / set(sequence); a sequence is
 *                named by lc_seq_hash of its tokens (the reader hashes what it
 *                parsed), so equal sequences have equal names.
 * The tandem group (client_set_tandem / client_unset_tandem) is checked as
 * its member keys: lc_add_tandem() adds one member call per order, each with
 * the interval of the tandem call (the protocol does not make a tandem write
 * atomic across its members).
 *
 * On a violation the result names a minimal non-linearizable sub-history:
 * the first segment that cannot be linearised, cut at the earliest call
 * after which it cannot, with every call removed that the violation does not
 * need (only removals that cannot turn a linearizable history into a
 * non-linearizable one are tried), plus the states the key could be in when
 * that segment began. lc_explain() prints it.
 */
#ifndef SPLSUITE_LINCHECK_H
#define SPLSUITE_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_NEVER UINT64_MAX             /* return time of a call that never returned */
#define LC_ABSENT UINT64_MAX            /* register/sequence: the key does not exist */
#define LC_GARBAGE (UINT64_MAX - 1)     /* a value no write wrote (torn, foreign, garbage) */
#define LC_PRESENT (UINT64_MAX - 2)     /* unset found a value (it returned its length) */
#define LC_ANY (UINT64_MAX - 3)         /* a result that is not checked (a tandem unset reports none) */
#define LC_SEQ_EMPTY 0x9E3779B97F4A7C15ull /* lc_seq_hash of no tokens */

enum lc_model { LC_REGISTER = 1, LC_COUNTER, LC_SEQUENCE };
enum lc_kind { LC_SET = 1, LC_GET, LC_UNSET, LC_INTOP, LC_APPEND };
enum lc_outcome { LC_DONE = 0, LC_FAILED, LC_UNKNOWN };
enum lc_verdict { LC_LINEARIZABLE = 0, LC_VIOLATION, LC_UNDECIDED };

struct lc_op {
    uint64_t call, ret;  /* ns, any common clock; ret LC_NEVER: never returned */
    uint32_t obj;        /* the key */
    uint32_t proc;       /* who called */
    uint8_t kind;        /* enum lc_kind */
    uint8_t outcome;     /* enum lc_outcome */
    uint8_t intop;       /* LC_INTOP: SPL_OP_AND .. SPL_OP_DEC (0..5) */
    uint64_t arg;        /* SET: value (sequence: its hash); INTOP: operand; APPEND: token */
    uint64_t res;        /* GET: what was read; UNSET: LC_PRESENT or LC_ABSENT */
    uint64_t tag;        /* the caller's reference (shown by lc_explain) */
};

struct lc_history;

/* A history of model m whose keys all start in state init (lc_set_init for one key). */
struct lc_history *lc_new(enum lc_model m, uint64_t init);
void lc_free(struct lc_history *h);
void lc_set_init(struct lc_history *h, uint32_t obj, uint64_t init);
/* Adds a call (copied). 0, or -1 on ENOMEM / EINVAL (bad kind for the model). */
int lc_add(struct lc_history *h, const struct lc_op *op);
/* A tandem call on the group whose orders are objects obj0, obj0+1, ...:
 * kind LC_SET writes vals[i] to order i, LC_UNSET removes every order. */
int lc_add_tandem(struct lc_history *h, const struct lc_op *op, uint32_t obj0, unsigned orders, const uint64_t *vals);
size_t lc_size(const struct lc_history *h);
const struct lc_op *lc_get(const struct lc_history *h, size_t i);

/* Sequence names: lc_seq_hash(t, n) == lc_seq_extend(...lc_seq_extend(LC_SEQ_EMPTY, t[0])..., t[n-1]). */
uint64_t lc_seq_extend(uint64_t seq, uint64_t token);
uint64_t lc_seq_hash(const uint64_t *tokens, size_t n);
/* The counter model's step, for callers that compute expected values. */
uint64_t lc_intop_apply(uint8_t intop, uint64_t v, uint64_t operand);

struct lc_limits {
    uint64_t max_steps;   /* search steps over the whole history (0: 200 million) */
    uint64_t max_ns;      /* wall time (0: 20 s) */
    size_t max_states;    /* states a key may be in at a quiescent point (0: 256) */
    size_t max_cache;     /* memoised configurations per segment (0: 8 million) */
};

#define LC_MAX_WITNESS_STATES 8

struct lc_result {
    enum lc_verdict verdict;
    uint64_t steps;
    double secs;
    size_t ops, objects, segments, longest_segment;
    char why[256];        /* UNDECIDED: the bound that was hit */
    /* LC_VIOLATION: the key, and a minimal sub-history (indexes into the history) */
    uint32_t obj;
    size_t *wit;
    uint8_t *wit_weak;    /* per witness call: its result is not needed (it still has its effect) */
    size_t nwit;
    uint64_t wit_from;    /* every call of the key before this time had returned ... */
    uint64_t wit_cut;     /* results of calls that returned after this were not needed */
    uint64_t wit_states[LC_MAX_WITNESS_STATES]; /* ... leaving it in one of these states */
    size_t nwit_states;
    bool wit_states_more; /* more states than listed */
};

enum lc_verdict lc_check(struct lc_history *h, const struct lc_limits *lim, struct lc_result *r);
void lc_result_free(struct lc_result *r);
const char *lc_verdict_str(enum lc_verdict v);

/* Names for values and keys in explanations; NULL uses hex / "key N".
 * value names register values, counter values and append tokens; sequence
 * names a sequence (LC_SEQUENCE sets, reads and states) by its lc_seq_hash. */
struct lc_names {
    const char *(*value)(uint64_t v, char *buf, size_t len, void *arg);
    const char *(*sequence)(uint64_t seq, char *buf, size_t len, void *arg);
    const char *(*obj)(uint32_t obj, char *buf, size_t len, void *arg);
    void *arg;
};
/* Calls line() once per line of explanation of a violation (times relative to
 * t0, in seconds); returns the number of lines. */
size_t lc_explain(const struct lc_history *h, const struct lc_result *r, uint64_t t0, const struct lc_names *names,
                  void (*line)(void *arg, const char *text), void *line_arg);

#endif
