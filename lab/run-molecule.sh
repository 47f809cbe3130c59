#!/usr/bin/env bash
# Run `molecule test` for each scenario given (all under molecule/ when none), MOLECULE_JOBS at a
# time (default 2: a scenario mostly waits on podman, so two share the lab's 2 cores well), with
# a timing line per scenario. Each scenario's output goes to .cache/molecule/<scenario>.log and
# is printed whole, in scenario order, once it is done. Run it through
# `lab/lab.py exec --services --`.
set -uo pipefail
cd "$(dirname "$0")/.."
scenarios=("$@")
if [ "${#scenarios[@]}" -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi
jobs_max=${MOLECULE_JOBS:-2}
logs=.cache/molecule
mkdir -p "$logs"

run_one() {
  local s=$1 start
  start=$(date +%s)
  if molecule test -s "$s" >"$logs/$s.log" 2>&1; then
    echo "[molecule] scenario $s: passed in $(( $(date +%s) - start ))s" >"$logs/$s.status"
  else
    echo "[molecule] scenario $s: FAILED after $(( $(date +%s) - start ))s" >"$logs/$s.status"
  fi
}

started=$(date +%s)
for s in "${scenarios[@]}"; do
  rm -f "$logs/$s.status"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  echo "[molecule] scenario $s: start"
  run_one "$s" &
done
wait

failed=()
summary=()
for s in "${scenarios[@]}"; do
  echo "[molecule] ---- scenario $s ----"
  cat "$logs/$s.log"
  status=$(cat "$logs/$s.status" 2>/dev/null || echo "[molecule] scenario $s: FAILED (no status)")
  echo "$status"
  summary+=("$status")
  case $status in *passed*) ;; *) failed+=("$s") ;; esac
done
printf '  %s\n' "${summary[@]}"
echo "[molecule] ${#scenarios[@]} scenarios, $jobs_max at a time, in $(( $(date +%s) - started ))s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "[molecule] failed scenarios: ${failed[*]}"
  exit 1
fi
echo "[molecule] ${#scenarios[@]} scenarios passed"
