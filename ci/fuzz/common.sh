# shellcheck shell=sh
# common.sh - sourced by run.sh (libFuzzer) and afl.sh (AFL++): what both
# engines do alike.
#   fuzz_build CC DIR JOBS WHO
# configures (once) and builds the fuzz targets and the seed maker in DIR with
# compiler CC, ASan+UBSan; on failure says so as WHO and exits 1.
#   pool JOBS FUNCTION RCPREFIX TARGET...
# runs FUNCTION TARGET in the background for each TARGET and writes its exit
# status to RCPREFIX-TARGET.rc; returns once every job has ended.
pool_reap() { # rcprefix target:pid...
  pr_prefix=$1
  shift
  for pr_p in "$@"; do
    if wait "${pr_p#*:}"; then echo 0; else echo $?; fi >"$pr_prefix-${pr_p%%:*}.rc"
  done
}

pool() {
  pl_jobs=$1 pl_fn=$2 pl_prefix=$3
  shift 3
  pl_running=0 pl_pids=""
  for pl_t in "$@"; do
    if [ "$pl_running" -ge "$pl_jobs" ]; then
      # shellcheck disable=SC2086
      pool_reap "$pl_prefix" $pl_pids
      pl_running=0 pl_pids=""
    fi
    "$pl_fn" "$pl_t" &
    pl_pids="$pl_pids $pl_t:$!"
    pl_running=$((pl_running + 1))
  done
  # shellcheck disable=SC2086
  pool_reap "$pl_prefix" $pl_pids
}

fuzz_build() {
  fb_cc=$1 fb_d=$2 fb_jobs=$3 fb_who=$4
  if [ ! -f "$fb_d/build.ninja" ]; then
    mkdir -p "$fb_d"
    CC="$fb_cc" meson setup "$fb_d" -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false \
      -Dmutants=false -Dbpf=disabled -Dlab=disabled -Doptimization=1 -Ddebug=true \
      -Dc_args=-fno-sanitize-recover=all >"$fb_d/ci-setup.log" 2>&1 ||
      { tail -20 "$fb_d/ci-setup.log" >&2; echo "$fb_who: meson setup $fb_d failed" >&2; exit 1; }
  fi
  ninja -C "$fb_d" -j "$fb_jobs" ci/fuzz/fuzz-open ci/fuzz/fuzz-fsck ci/fuzz/mkseeds >"$fb_d/ci-build.log" 2>&1 ||
    { tail -30 "$fb_d/ci-build.log" >&2; echo "$fb_who: build failed" >&2; exit 1; }
}
