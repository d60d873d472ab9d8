"""What an import did (or, with a dry run, would do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crmcli.errors import Problem
from crmcli.progress import ProgressFn as ProgressFn  # an import's: (bytes done, bytes in all)


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    merged: int = 0  # rows folded into a customer an earlier row of the file added
    anonymous: int = 0  # purchase lines with no customer: imported, or skipped if asked


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    kind: str
    file: str
    encoding: str
    counts: Counts
    import_id: int | None = None
    dry_run: bool = False
    columns: dict[str, str | None] = field(default_factory=dict)  # header → field
    unmapped: list[str] = field(default_factory=list)
    rejects: Path | None = None
    customers_created: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    markers: dict[str, int] = field(default_factory=dict)  # 'NA' → cells read as empty


class Unchanged(Exception):
    """Raised inside the transaction when an import would change nothing: rolled back, so
    a re-import writes nothing at all (not even its own record)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("unchanged")
        self.result = result


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back; carries its result."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result
