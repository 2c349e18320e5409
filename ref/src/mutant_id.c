/*
 * mutant_id.c - which fault a mutant library plants: compiled once per
 * mutant with -DSPLREF_MUTANT_ID=<id> and linked with the objects every
 * mutant shares (SPLREF_MUTANT_RUNTIME, src/mutant.h).
 */
#include "mutant.h"

const int splref_mutant_id = SPLREF_MUTANT_ID;
