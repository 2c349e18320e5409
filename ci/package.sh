#!/bin/sh
# The Debian packaging gate (docs/ci.md): builds the .debs with
# dpkg-buildpackage from a clean copy of the tracked files, runs lintian on
# the result (any error or warning fails), then, as root, installs the four
# packages and checks the installed copy the way a user meets it: `man
# splsuite-conform`, splsuite --version, --impl mut:NAME caught by its rule,
# a client built with pkg-config against libsplref-dev, a program linked
# with -lsplinter run on the drop-in, the perf gate with its installed
# driver; then purges them. Packages of ours already installed are left
# alone (the install checks are skipped, said so).
#   ci/package.sh            exit 0 pass, 1 fail, 77 a tool is missing (named)
# Environment: CI_PACKAGE_KEEP=DIR keeps the .debs and logs in DIR.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
t0=$(date +%s)
for t in dpkg-buildpackage dh lintian fakeroot; do
  command -v "$t" >/dev/null 2>&1 || { echo "package: $t not found (apt install dpkg-dev debhelper lintian fakeroot)"; exit 77; }
done
command -v git >/dev/null 2>&1 || { echo "package: git not found"; exit 77; }
work="$(mktemp -d "${TMPDIR:-/tmp}/splsuite-package.XXXXXX")"
installed=""
ours="splinter-suite-dbgsym libsplref0-dbgsym libsplref-p0-dbgsym splinter-suite libsplref-dev libsplref0 libsplref-p0"
cleanup() {
  [ -n "$installed" ] && dpkg --purge $ours >/dev/null 2>&1
  if [ -n "${CI_PACKAGE_KEEP:-}" ]; then mkdir -p "$CI_PACKAGE_KEEP" && cp "$work"/*.deb "$work"/*.log "$CI_PACKAGE_KEEP"/ 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package: FAIL: $*"; exit 1; }
step() { echo "package: $* ($(($(date +%s) - t0)) s)"; }

# 1. a clean copy of what git tracks (the working tree's content, not build dirs)
src="$work/splinter-suite-0.1.0"
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$src" ||
  fail "could not copy the tree"
SPLSUITE_GIT_DESCRIBE="$(git -C "$root" describe --always --dirty=+dirty --abbrev=40 --match=splsuite-no-tag-matches-this 2>/dev/null || echo unknown)"
export SPLSUITE_GIT_DESCRIBE
step "copied the tree (commit $SPLSUITE_GIT_DESCRIBE)"

# 2. build: source and binaries, unsigned
jobs="$(nproc 2>/dev/null || echo 2)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$jobs" dpkg-buildpackage -us -uc >"$work/build.log" 2>&1); then
  tail -40 "$work/build.log"
  fail "dpkg-buildpackage failed (log above)"
fi
ls "$work"/*.deb >/dev/null 2>&1 || fail "no .deb built"
step "built: $(cd "$work" && ls *.deb | tr '\n' ' ')"

# 3. lintian: clean means no error and no warning (info and pedantic tags are listed, not failed)
changes="$(ls "$work"/*.changes | head -1)"
lintian --info --display-info --fail-on error,warning "$changes" >"$work/lintian.log" 2>&1
lrc=$?
grep -E '^[EW]: ' "$work/lintian.log"
grep -E "^[IPX]: " "$work/lintian.log" | sed "s/^/package: lintian (not failing): /"
[ $lrc -eq 0 ] || fail "lintian found errors or warnings (above)"
step "lintian: no error, no warning"

# 4. the installed copy
rm -rf "$src" "$work"/splinter-suite-0.1.0  # no build tree left for splsuite to prefer over the installed files
if [ "$(id -u)" -ne 0 ]; then
  step "not root: install checks skipped"
  exit 0
fi
if dpkg-query -W -f='${Status}\n' $ours 2>/dev/null | grep -q "ok installed"; then
  step "splinter-suite is already installed here: install checks skipped (not touching it)"
  exit 0
fi
installed=yes
# the four packages (not their -dbgsym companions)
dpkg -i $(ls "$work"/*.deb | grep -v -- -dbgsym_) >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i failed"; }
multi="$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
man -w splsuite-conform >/dev/null 2>&1 || fail "man -w splsuite-conform: no page"
MANWIDTH=80 man splsuite-conform 2>/dev/null | head -1 | grep -q 'SPLSUITE-CONFORM(1)' || fail "man splsuite-conform does not render"
MANWIDTH=80 man splsuite-conform 2>/dev/null | grep -q -- '--kill-mutants' || fail "man splsuite-conform lacks the options"
v="$(splsuite --version)" || fail "splsuite --version"
echo "$v" | grep -q "splsuite 0.1.0" || fail "version: $v"
cd "$work"
splsuite conform --impl ref --rules 'FMT-*' --duration 200ms >"$work/conform-ref.log" 2>&1 || { cat "$work/conform-ref.log"; fail "installed splsuite conform --impl ref"; }
grep -q "libsplref.so.0" "$work/conform-ref.log" 2>/dev/null || true
splsuite conform --impl mut:torn_write --rules SEQ-001 --duration 300ms >"$work/conform-mut.log" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/conform-mut.log"; fail "installed --impl mut:torn_write: exit $rc, want 1 (caught by SEQ-001)"; }
splsuite conform --impl ref --rules FMT-001 --json 2>/dev/null | grep -q "\"path\":\"/usr/lib/$multi/libsplref.so.0.1.0\"" ||
  fail "installed conform does not use /usr/lib/$multi/libsplref.so.0"
step "installed: man splsuite-conform, conform --impl ref, mut:torn_write caught (exit 1)"
# a client of libsplref-dev through pkg-config, and one linked -lsplinter on the drop-in
cat >"$work/client.c" <<'EOF'
#include <splinter.h>
#include <splref.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    char name[64], buf[16];
    size_t n = 0;
    snprintf(name, sizeof name, "/splsuite-pkgtest-%d", (int)getpid());
    if (splinter_create(name, 64, 64) != 0 || splinter_set("k", "v1", 2) != 0 || splinter_get("k", buf, sizeof buf, &n) != 0)
        return 1;
    printf("%s %.*s\n", splinter_ref_version(), (int)n, buf);
    splinter_close();
    shm_unlink(name);
    return memcmp(buf, "v1", 2) != 0;
}
EOF
[ "$(pkg-config --modversion splref)" = 0.1.0 ] || fail "pkg-config --modversion splref: $(pkg-config --modversion splref)"
cc -include unistd.h -include sys/mman.h "$work/client.c" $(pkg-config --cflags --libs splref) -o "$work/client" ||
  fail "a client does not build against libsplref-dev"
out="$("$work/client")" || fail "the client failed: $out"
[ "$out" = "splref 0.1.0 (shm) v1" ] || fail "client printed '$out'"
cc -include unistd.h -include sys/mman.h "$work/client.c" -L"/usr/lib/$multi/splref" -lsplinter -o "$work/dropin" ||
  fail "a -lsplinter client does not link on the drop-in"
out="$(LD_LIBRARY_PATH="/usr/lib/$multi/splref" "$work/dropin")" || fail "the -lsplinter client failed: $out"
step "installed: pkg-config client ($out), -lsplinter on the drop-in"
if command -v valgrind >/dev/null 2>&1; then
  mkdir -p "$work/bl" && splsuite-perf-gate --lane deterministic --update --baselines "$work/bl" --out "$work/pg" --quiet >"$work/gate.log" 2>&1 &&
    splsuite-perf-gate --lane deterministic --baselines "$work/bl" --out "$work/pg" --quiet >>"$work/gate.log" 2>&1 ||
    { cat "$work/gate.log"; fail "installed splsuite-perf-gate"; }
  step "installed: splsuite-perf-gate recorded and judged a baseline with /usr/libexec/splinter-suite/hotpaths"
fi
dpkg --purge $ours >/dev/null 2>&1 || fail "dpkg --purge"
installed=""
dpkg-query -W -f='${Package} ${Status}\n' $ours 2>/dev/null | grep -q "ok installed" && fail "a package of ours is still installed after the purge"
ls /dev/shm | grep -q '^splsuite-pkgtest' && fail "the client left a store in /dev/shm"
step "PASS"
