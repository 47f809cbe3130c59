#!/usr/bin/env bash
# Run `molecule test` for each scenario given (all under molecule/ when none), MOLECULE_JOBS at a
# time (default 2: a scenario mostly waits on podman, so two share the lab's 2 cores well), through
# lab/run-parallel.sh: a timing line per scenario, each scenario's output in
# .cache/molecule/<scenario>.log, printed whole once all are done. Run it through
# `lab/lab.py exec --services --`.
set -uo pipefail
cd "$(dirname "$0")/.."
scenarios=("$@")
if [ "${#scenarios[@]}" -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi
jobs=()
for s in "${scenarios[@]}"; do jobs+=("$s=molecule test -s $s"); done
PARALLEL_JOBS=${MOLECULE_JOBS:-2} exec bash lab/run-parallel.sh molecule "${jobs[@]}"
