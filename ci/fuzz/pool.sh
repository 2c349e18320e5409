# shellcheck shell=sh
# pool.sh - sourced by run.sh and afl.sh: runs one fuzzing job per target,
# at most JOBS at a time, and keeps each job's exit status in a file.
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
