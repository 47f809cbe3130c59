# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What a lint run returns: problems (errors and warnings) and the loaded items.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    file: str
    line: int
    kind: str          # rule / macro / list / item
    name: str
    message: str
    column: int | None = None
    severity: str = "error"
    # syntax / field / value (condition), exception, output (%field), reference (macro/list),
    # schema, priority, load; warnings also evttype, deprecated, unused
    category: str = "load"
    offset: int | None = None    # index in the condition text, for condition syntax errors

    def __str__(self) -> str:
        where = f" (column {self.column})" if self.column else ""
        return f"{self.file}:{self.line}: {self.kind} '{self.name}': {self.message}{where}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "kind": self.kind,
                "name": self.name, "message": self.message, "severity": self.severity,
                "category": self.category}


@dataclass
class LintResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rules: dict = field(default_factory=dict)      # name -> Item (final state)
    macros: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)
    _expand: object = None

    @property
    def expanded(self) -> dict:
        """Rule name -> fully expanded condition (macros, lists, exceptions); computed once."""
        if not isinstance(self._expand, dict):
            self._expand = self._expand() if self._expand else {}
        return self._expand

    @property
    def ok(self) -> bool:
        return not self.errors
