#!/usr/bin/env bash
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
#
# Run jobs side by side, PARALLEL_JOBS at a time (default 2), each given as NAME=COMMAND (a
# bash command line). Each job's output goes to .cache/GROUP/NAME.log and is printed whole, in
# the order given, once all are done, with a timing line per job; exits 1 when any job failed.
#   bash lab/run-parallel.sh GROUP NAME=COMMAND...
# Used by lab/run-molecule.sh (one job per scenario) and lab/run-tests.sh (the test lanes).
set -uo pipefail
cd "$(dirname "$0")/.."
group=$1
shift
jobs_max=${PARALLEL_JOBS:-2}
logs=.cache/$group
mkdir -p "$logs"

run_one() {
  local name=$1 cmd=$2 start
  start=$(date +%s)
  if bash -c "$cmd" >"$logs/$name.log" 2>&1; then
    echo "[$group] $name: passed in $(( $(date +%s) - start ))s" >"$logs/$name.status"
  else
    echo "[$group] $name: FAILED after $(( $(date +%s) - start ))s" >"$logs/$name.status"
  fi
}

names=()
started=$(date +%s)
for job in "$@"; do
  name=${job%%=*}
  names+=("$name")
  rm -f "$logs/$name.status"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  echo "[$group] $name: start ($(( $(date +%s) - started ))s in)"
  run_one "$name" "${job#*=}" &
done
wait

failed=()
summary=()
for name in "${names[@]}"; do
  echo "[$group] ---- $name ----"
  cat "$logs/$name.log"
  status=$(cat "$logs/$name.status" 2>/dev/null || echo "[$group] $name: FAILED (no status)")
  echo "$status"
  summary+=("$status")
  case $status in *passed*) ;; *) failed+=("$name") ;; esac
done
printf '  %s\n' "${summary[@]}"
echo "[$group] ${#names[@]} jobs, $jobs_max at a time, in $(( $(date +%s) - started ))s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "[$group] failed: ${failed[*]}"
  exit 1
fi
echo "[$group] ${#names[@]} jobs passed"
