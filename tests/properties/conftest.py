# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Property-based tests (hypothesis): for any generated input, a parser, gate or writer either
refuses clearly or answers right: never a traceback, never a pass of what must block, never a
secret in its output, never a write outside its place.

Two example budgets: `ci` (the default; the whole folder stays within about 3 minutes on the
2-core lab machine) and `fuzz` (`make fuzz`, HYPOTHESIS_PROFILE=fuzz: 50 times as many). Each
counterexample found becomes a named row of the reliability tables (tests/reliability/).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, derandomize=False, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=60, **_COMMON)
settings.register_profile("fuzz", max_examples=3000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
