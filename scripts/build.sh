#!/bin/sh
# Configures (once) and builds the suite in ./build. Extra args go to meson setup.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build "$@" >&2
fi
ninja -C build >&2
