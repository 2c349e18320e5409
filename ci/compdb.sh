#!/bin/sh
# Prints a compile database for the static analysers: one entry per source
# file of the project, the mutant rebuilds of ref/ and generated files left
# out (they are the same sources again, with a fault switched on).
#   ci/compdb.sh BUILD_DIR > compile_commands.json
set -eu
jq '[ .[] | select((.command | contains("SPLREF_MUTANT")) | not)
          | select(.file | test("\\.c$"))
          | select(.file | startswith("../") or startswith("/")) ]
    | unique_by(.file)' "$1/compile_commands.json"
