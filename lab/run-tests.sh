#!/usr/bin/env bash
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
#
# `make test`'s three lanes, side by side (lab/run-parallel.sh, one log each, printed whole at
# the end):
#   molecule  every scenario, MOLECULE_JOBS at a time (default 1 here: the lanes beside it
#             already use the cores);
#   fleet     every test that stands on the four-node lab fleet (marked `fleet` from the
#             fixtures it asks for, tests/conftest.py): site.yml converge, check, kill and
#             node-down tests, the posture report on the fleet (tests/integration/fleet), then
#             the reliability rows that need a node, on a fleet node (tests/reliability);
#   suite     every other pytest test: unit, properties, the other integration tests, the
#             reliability tables that need no node.
# Most of each lane's time is spent waiting on podman, SSH and ansible-playbook's workers, which
# is why three lanes finish well before the sum of their times on 2 cores. The lanes share the
# lab services only: containers, SSH ports and pytest's base directories are their own.
# Run it through `lab/lab.py exec --services --`.
set -uo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
fleet=tests/integration/fleet
PARALLEL_JOBS=3 exec bash lab/run-parallel.sh lanes \
  "molecule=MOLECULE_JOBS=${MOLECULE_JOBS:-1} bash lab/run-molecule.sh" \
  "fleet=$py -m pytest --durations=15 --basetemp=/tmp/bulwark-lane-fleet -m fleet $fleet tests/reliability" \
  "suite=$py -m pytest --durations=25 --basetemp=/tmp/bulwark-lane-suite -m 'not fleet' tests"
