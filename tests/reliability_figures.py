"""The figures reliability tests report (trials, operations, inputs, failures).

Each test records what it tried with `figures.record(name, **numbers)`; at the end
of the run they are printed in pytest's summary and written as JSON to
`$CRMCLI_FIGURES`, else `.pytest_cache/reliability-figures.json`, from which
RELIABILITY.md is filled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Figures:
    """What the reliability tests measured in this run, by test name."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def record(self, name: str, **numbers: Any) -> None:
        self.data.setdefault(name, {}).update(numbers)

    def lines(self) -> list[str]:
        return [
            f"{name}: " + ", ".join(f"{k}={v}" for k, v in values.items())
            for name, values in sorted(self.data.items())
        ]

    def save(self, root: Path) -> Path | None:
        if not self.data:
            return None
        target = Path(
            os.environ.get("CRMCLI_FIGURES") or root / ".pytest_cache" / "reliability-figures.json"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return target


FIGURES = Figures()
