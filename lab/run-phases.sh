#!/usr/bin/env bash
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
#
# Run phases one after another, each given as NAME=COMMAND (a bash command line), with their
# output as it comes, a timing line after each and a table of all at the end; stops at the
# first phase that fails (its status is that phase's). `make test` runs its phases this way.
#   bash lab/run-phases.sh NAME=COMMAND...
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
summary=()
status=0
for phase in "$@"; do
  name=${phase%%=*}
  start=$(date +%s)
  echo "[phase] $name: start ($(( start - started ))s in)"
  bash -c "${phase#*=}"
  status=$?
  line="$name: $([ "$status" -eq 0 ] && echo passed || echo "FAILED ($status)") in $(( $(date +%s) - start ))s"
  echo "[phase] $line"
  summary+=("$line")
  [ "$status" -eq 0 ] || break
done
echo "[phase] ---- phases ----"
printf '[phase]   %s\n' "${summary[@]}"
echo "[phase] all in $(( $(date +%s) - started ))s"
exit "$status"
