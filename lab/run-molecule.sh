#!/usr/bin/env bash
# Run `molecule test` for each scenario given (all under molecule/ when none), one after the
# other, with a timing line per scenario. Run it through `lab/lab.py exec --services --`.
set -uo pipefail
cd "$(dirname "$0")/.."
scenarios=("$@")
if [ "${#scenarios[@]}" -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi
failed=()
for s in "${scenarios[@]}"; do
  echo "[molecule] scenario $s: start"
  start=$(date +%s)
  if molecule test -s "$s"; then
    echo "[molecule] scenario $s: passed in $(( $(date +%s) - start ))s"
  else
    echo "[molecule] scenario $s: FAILED after $(( $(date +%s) - start ))s"
    failed+=("$s")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "[molecule] failed scenarios: ${failed[*]}"
  exit 1
fi
echo "[molecule] ${#scenarios[@]} scenarios passed"
