#!/usr/bin/env bash
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
#
# Run `ansible-test sanity` on this checkout without containers (`make sanity`).
# Extra arguments go to ansible-test, e.g. `bash tools/sanity.sh --test pep8`.
# Why each step is needed is written in the Makefile beside the `sanity` target.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
venv_bin=${VENV_BIN:-$checkout/.venv/bin}
oldest_python=${SANITY_OLDEST_PYTHON:-/root/.pyenv/versions/3.9.18/bin/python3.9}
scratch=$checkout/.cache/sanity
root=$scratch/ansible_collections/bulwark/container_security

if [ ! -x "$oldest_python" ]; then
  echo "[sanity] $oldest_python (the oldest Python the modules support) is missing;" \
       "set SANITY_OLDEST_PYTHON to a Python 3.9 interpreter" >&2
  exit 1
fi

# The files git knows about (tracked, and new ones not ignored), as they are in the work tree.
rm -rf "$root"
mkdir -p "$root" "$scratch/bin"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' path; do
    if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
  done |
  tar --null -T - -cf - | tar -xf - -C "$root"
git -C "$root" init -q

# ansible-test builds the import test's venv with the interpreter named python3.X on PATH.
ln -sfn "$oldest_python" "$scratch/bin/python3.9"

# get-pip stand-in: see the Makefile.
mkdir -p "$HOME/.ansible/test/cache"
cp tools/get_pip_standin.py "$HOME/.ansible/test/cache/get_pip_24_2.py"

cd "$root"
start=$(date +%s)
status=0
PATH="$scratch/bin:$venv_bin:$PATH" "$venv_bin/ansible-test" sanity \
  --controller "origin:python=3.11@$venv_bin/python" \
  --target-python "3.9@$oldest_python" \
  --target-python "3.11@$venv_bin/python" \
  --skip-test shellcheck --skip-test pslint \
  --color no "$@" || status=$?
echo "[sanity] ansible-test sanity finished in $(( $(date +%s) - start ))s with exit status $status"
exit "$status"
