#!/bin/sh
# Configures (once) and builds the suite in ./build. Extra args go to meson setup.
# When the installed Debian packages changed since the last configure (say
# conform.sh installed the conformance set, then test.sh the rest), meson
# is reconfigured so its 'auto' parts see what is there now.
set -eu
cd "$(dirname "$0")/.."
stamp=build/.splsuite-deps
deps="$(dpkg-query -W -f='${Package} ${Version} ${Status}\n' $(./scripts/install-deps.sh --list all) 2>/dev/null | grep 'ok installed' | cksum || true)"
if [ ! -f build/build.ninja ]; then
  meson setup build "$@" >&2
elif [ "$(cd -P build/.. && pwd)" != "$(pwd -P)" ]; then
  # build is a link to another tree's build (ci-examples links the real one
  # into its scratch clone): reconfiguring it from here would point it at
  # this tree, which is deleted after the run. Build it as it is.
  ninja -C build >&2
  exit 0
elif [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$deps" ]; then
  echo "build.sh: the installed packages changed: reconfiguring" >&2
  meson setup --reconfigure build "$@" >&2
fi
printf '%s\n' "$deps" >"$stamp"
ninja -C build >&2
