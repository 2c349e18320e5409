#!/bin/sh
# check-exports.sh NUMA(yes|no) EMBEDDINGS(yes|no) LIB... - every public
# function of the original (format-v4.md, "Public functions") must be a
# defined dynamic symbol of each library: nm -D --defined-only.
set -eu
numa=$1 emb=$2
shift 2
NM=${NM:-nm}
# The list of format-v4.md, copied as data.
funcs="splinter_create splinter_open splinter_create_or_open splinter_open_or_create
splinter_close splinter_set_mop splinter_get_mop splinter_purge splinter_set
splinter_unset splinter_get splinter_list splinter_poll
splinter_get_header_snapshot splinter_get_slot_snapshot
splinter_config_set splinter_config_clear splinter_config_test
splinter_config_snapshot splinter_slot_usr_set splinter_slot_usr_clear
splinter_slot_usr_test splinter_slot_usr_snapshot splinter_set_named_type
splinter_set_slot_time splinter_integer_op splinter_get_raw_ptr
splinter_get_epoch splinter_bump_slot splinter_retrain_slot
splinter_set_label splinter_unset_label splinter_client_set_tandem
splinter_client_unset_tandem splinter_watch_register
splinter_watch_unregister splinter_watch_label_register
splinter_pulse_watchers splinter_pulse_keygroup splinter_get_signal_count
splinter_enumerate_matches splinter_event_bus_init splinter_event_bus_open
splinter_event_bus_wait splinter_event_bus_close splinter_event_bus_get_dirty
splinter_set_as_system splinter_append splinter_shard_claim_ex
splinter_shard_claim splinter_shard_rebid splinter_shard_release
splinter_shard_election splinter_shard_is_sovereign
splinter_shard_table_snapshot splinter_madvise splinter_now"
[ "$numa" = yes ] && funcs="$funcs splinter_open_numa"
[ "$emb" = yes ] && funcs="$funcs splinter_set_embedding splinter_get_embedding"
# The reference's own extension, documented in docs/reference.md.
funcs="$funcs splinter_flush"
fail=0
for lib in "$@"; do
    syms=$("$NM" -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" || $2 == "i" { print $3 }')
    missing=0
    for f in $funcs; do
        if ! printf '%s\n' "$syms" | grep -qx "$f"; then
            echo "MISSING $f in $lib"
            missing=$((missing + 1))
        fi
    done
    n=$(printf '%s\n' $funcs | wc -l)
    if [ $missing -eq 0 ]; then echo "ok   $(basename "$lib"): all $n functions exported"; else fail=1; fi
done
exit $fail
