/*
 * test_signals.c - watches, labels, label-mapped signal groups, pulses and
 * enumerate_matches.
 */
#include "common.h"

Test(signals, watched_key_pulses_its_group, .init = t_setup, .fini = t_teardown)
{
    t_set_str("w", "0");
    cr_assert_eq(splinter_watch_register("w", 3), 0);
    cr_assert_eq(splref_slots(t_peek)[t_slot_index("w")].watcher_mask, 1ull << 3);
    uint64_t c = splinter_get_signal_count(3);
    t_set_str("w", "1");
    cr_assert_eq(splinter_get_signal_count(3), c + 1);
    size_t n;
    cr_assert_eq(splinter_append("w", "2", 1, &n), 0);
    cr_assert_eq(splinter_get_signal_count(3), c + 2);
    cr_assert_eq(splinter_bump_slot("w"), 0);
    cr_assert_eq(splinter_get_signal_count(3), c + 3);
    cr_assert_eq(splinter_retrain_slot("w"), 0);
    cr_assert_eq(splinter_get_signal_count(3), c + 4);
    cr_assert_eq(splinter_pulse_keygroup("w"), 0);
    cr_assert_eq(splinter_get_signal_count(3), c + 5);
    splinter_pulse_watchers(t_slot("w"));
    cr_assert_eq(splinter_get_signal_count(3), c + 6, "a slot pointer from another mapping of the store");
    cr_assert_eq(splinter_get_signal_count(4), 0, "other groups untouched");
    cr_assert_eq(splinter_watch_unregister("w", 3), 0);
    t_set_str("w", "3");
    cr_assert_eq(splinter_get_signal_count(3), c + 6);
}

Test(signals, group_bounds, .init = t_setup, .fini = t_teardown)
{
    t_set_str("w", "0");
    errno = 0;
    cr_assert_eq(splinter_watch_register("w", SPLINTER_MAX_GROUPS), -2);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(splinter_watch_unregister("w", 200), -2);
    cr_assert_eq(splinter_watch_label_register(1, 64), -2);
    cr_assert_eq(splinter_get_signal_count(64), 0);
    cr_assert_eq(splinter_watch_register("w", 63), 0);
    errno = 0;
    cr_assert_eq(splinter_watch_register("missing", 1), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(splinter_pulse_keygroup("missing"), -1);
}

Test(signals, labels_map_to_groups, .init = t_setup, .fini = t_teardown)
{
    t_set_str("doc", "x");
    uint64_t g = t_global_epoch();
    cr_assert_eq(splinter_set_label("doc", 1ull << 5 | 1ull << 9), 0);
    cr_assert_eq(t_global_epoch(), g + 1, "labels are data writes");
    cr_assert_eq(splinter_watch_label_register(1ull << 5, 7), 0);
    cr_assert_eq(splref_header(t_peek)->bloom_watches[5], 7);
    cr_assert_eq(splref_header(t_peek)->bloom_watches[9], 0xFF, "unwatched label bits stay 0xFF");
    uint64_t c7 = splinter_get_signal_count(7);
    t_set_str("doc", "y");
    cr_assert_eq(splinter_get_signal_count(7), c7 + 1);
    /* watched by key and by label: both pulse */
    cr_assert_eq(splinter_watch_register("doc", 7), 0);
    t_set_str("doc", "z");
    cr_assert_eq(splinter_get_signal_count(7), c7 + 3);
    cr_assert_eq(splinter_watch_unregister("doc", 7), 0);
    cr_assert_eq(splinter_unset_label("doc", 1ull << 5), 0);
    cr_assert_eq(t_global_epoch(), g + 4);
    t_set_str("doc", "w");
    cr_assert_eq(splinter_get_signal_count(7), c7 + 3);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("doc", &ss), 0);
    cr_assert_eq(ss.bloom, 1ull << 9);
    cr_assert_eq(splinter_set_label("missing", 1), -1);
}

struct seen { int n; char keys[8][SPLINTER_KEY_MAX]; };

static void collect(const char *key, uint64_t epoch, void *data)
{
    struct seen *s = data;
    cr_assert_eq(epoch % 2, 0);
    if (s->n < 8) snprintf(s->keys[s->n], SPLINTER_KEY_MAX, "%s", key);
    s->n++;
}

Test(signals, enumerate_matches_needs_every_bit, .init = t_setup, .fini = t_teardown)
{
    t_set_str("a", "1");
    t_set_str("b", "1");
    t_set_str("c", "1");
    splinter_set_label("a", 0x3);
    splinter_set_label("b", 0x1);
    splinter_set_label("c", 0x7);
    struct seen s = {0};
    splinter_enumerate_matches(0x3, collect, &s);
    cr_assert_eq(s.n, 2);
    int mask = 0;
    for (int i = 0; i < s.n; i++) mask |= !strcmp(s.keys[i], "a") ? 1 : !strcmp(s.keys[i], "c") ? 2 : 4;
    cr_assert_eq(mask, 3);
    memset(&s, 0, sizeof s);
    splinter_unset("c");
    splinter_enumerate_matches(0x1, collect, &s);
    cr_assert_eq(s.n, 2, "unset keys are not enumerated");
    splinter_enumerate_matches(0x1, NULL, NULL);
}
