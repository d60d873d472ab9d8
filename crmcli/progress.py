"""How long work tells its progress: a function of (done, in all), then its phases.

A bulk command (an import, `db copy`, `db backup`) reads its input with a progress
function, `progress(done, total)`. What it does after reading — a server checking
and storing every line in a few set-based statements, indexes and search data built
again — moves no count for seconds or minutes: it names each step as it begins
(`phase`), so a display shows what is being done rather than a full bar that seems
stuck. Only a display listens (a terminal's); pipes and cron get nothing.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[int, int], None]  # (done, in all): bytes of a file, rows of a copy

# The phases after the reading, by name (a display words them in the user's language).
CHECKING = "checking"  # the lines checked as a whole, in SQL on the server
STORING = "storing"  # the rows written, in one set-based statement
INDEXING = "indexing"  # indexes and search data built again over the new rows
VERIFYING = "verifying"  # a copy's row counts and money sums compared with the source
PHASES = (CHECKING, STORING, INDEXING, VERIFYING)


def phase(progress: ProgressFn | None, name: str) -> None:
    """Tell `progress` the work has moved on to `name` (one of `PHASES`), if it listens:
    a display gives its function a `phase` attribute taking the name."""
    if name not in PHASES:
        raise ValueError(f"unknown phase {name!r}")
    told = getattr(progress, "phase", None)
    if callable(told):
        told(name)
