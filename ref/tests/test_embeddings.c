/*
 * test_embeddings.c - the embeddings build (-Dembeddings=true): 768 floats
 * per slot, 3200-byte slots, embedding set/get under the seqlock.
 */
#include "common.h"

_Static_assert(sizeof(struct splinter_slot) == 3200, "embeddings slot size");

Test(embeddings, set_get_roundtrip, .init = t_setup, .fini = t_teardown)
{
    float in[SPLINTER_EMBED_DIM], out[SPLINTER_EMBED_DIM];
    for (int i = 0; i < SPLINTER_EMBED_DIM; i++) in[i] = (float)i * 0.5f;
    t_set_str("vec", "doc");
    uint64_t e = splinter_get_epoch("vec"), g = t_global_epoch();
    cr_assert_eq(splinter_set_embedding("vec", in), 0);
    cr_assert_eq(splinter_get_epoch("vec"), e + 2);
    cr_assert_eq(t_global_epoch(), g + 1);
    cr_assert_eq(splinter_get_embedding("vec", out), 0);
    cr_assert_eq(memcmp(in, out, sizeof in), 0);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("vec", &ss), 0);
    cr_assert_eq(memcmp(ss.embedding, in, sizeof in), 0);
    cr_assert_eq(splinter_set_embedding("missing", in), -1);
    cr_assert_eq(splinter_set_embedding(NULL, in), -2);
    cr_assert_eq(splinter_get_embedding("vec", NULL), -2);
}

Test(embeddings, unset_and_retrain_clear_the_vector, .init = t_setup, .fini = t_teardown)
{
    float in[SPLINTER_EMBED_DIM], out[SPLINTER_EMBED_DIM];
    for (int i = 0; i < SPLINTER_EMBED_DIM; i++) in[i] = 1.0f;
    t_set_str("vec", "doc");
    cr_assert_eq(splinter_set_embedding("vec", in), 0);
    cr_assert_eq(splinter_retrain_slot("vec"), 0);
    cr_assert_eq(splinter_get_embedding("vec", out), 0);
    for (int i = 0; i < SPLINTER_EMBED_DIM; i++) cr_assert_eq(out[i], 0.0f);
    cr_assert_eq(splinter_set_embedding("vec", in), 0);
    struct splinter_slot *s = t_slot("vec");
    cr_assert_eq(splinter_unset("vec"), 3);
    for (int i = 0; i < SPLINTER_EMBED_DIM; i++) cr_assert_eq(s->embedding[i], 0.0f);
    cr_assert_eq(splref_size(t_peek), SPLINTER_HEADER_SIZE + T_SLOTS * (3200 + T_MAXVAL));
}
