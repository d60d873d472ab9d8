"""What is wrong with a file's rows: counted, grouped by reason with its fix, and with
`--skip-invalid` written to a rejects file beside it."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli.errors import Problem
from crmcli.files import Output, protect_database, protect_inputs
from crmcli.i18n import M_, M_n, means

if TYPE_CHECKING:
    from crmcli.engines import Engine

KEEP_PROBLEMS = 1_000  # problems kept in memory to list; all are counted


class RowProblem(Exception):
    """Why a row cannot be imported: the one problem type every reader raises (customer
    rows, vCards, purchase lines). `column` names where the bad value came from.

    `reason` is the group the problem is reported in, with its fix, when its message alone
    would not group it well (see `Problems.add`); `others` holds the row's further
    problems, so a row with several bad values lists them all.
    """

    def __init__(self, column: str | None, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.reason = reason
        self.others: list[RowProblem] = []

    def all(self) -> list[RowProblem]:
        return [self, *self.others]

    def summary(self) -> str:
        """One line for the rejects file."""
        return "; ".join(f"{p.column}: {p.message}" if p.column else p.message for p in self.all())


GROUP_LINES = 5  # line numbers shown for each reason a file was refused
MAX_GROUPS = 30  # reasons told apart; past that, the rest are counted together
LIST_ALL = 10  # a failed file with at most this many problems lists each of them


@dataclass
class Group:
    """The lines that share one reason to be refused: how many, and the first few."""

    reason: str  # 'name customers who are not in the database: add --create-customers'
    lines: int = 0
    first: list[int] = field(default_factory=list)
    last: int = 0

    def describe(self) -> str:
        shown = ", ".join(f"{n:,}" for n in self.first)
        more = ", …" if self.lines > len(self.first) else ""
        if self.lines == 1:
            # English makes the verb agree; the language says the reason as it is.
            means(_singular(self.reason), self.reason)
            return M_("1 line {reason} (line {shown})").format(
                reason=_singular(self.reason), shown=shown
            )
        return M_("{n} lines {reason} (lines {shown})").format(
            n=f"{self.lines:,}", reason=self.reason, shown=shown + more
        )


def _singular(reason: str) -> str:
    """'name customers…' → 'names customers…': the verb agrees with one line."""
    verb, _, rest = reason.partition(" ")
    verb = {"have": "has", "are": "is"}.get(verb) or (
        verb + "es" if verb.endswith(("ch", "sh", "s", "x")) else verb + "s"
    )
    return f"{verb} {rest}"


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|#\d+|\b\d[\d,.]*\b")


def generic_reason(column: str | None, message: str) -> str:
    """A reason to group by when the problem names none: its message, values left out."""
    text = _QUOTED.sub("…", message)
    if column:
        return M_("have a bad {column}: {text}").format(column=column, text=text)
    return M_("have this problem: {text}").format(text=text)


@dataclass
class Problems:
    """Problems found in one file: all counted and grouped by reason, the first
    KEEP_PROBLEMS kept to list."""

    file: str
    kept: list[Problem] = field(default_factory=list)
    count: int = 0
    rows: int = 0  # rows with at least one problem
    groups: dict[str, Group] = field(default_factory=dict)

    def add(
        self, line: int, column: str | None, message: str, *, reason: str | None = None
    ) -> None:
        self.count += 1
        if len(self.kept) < KEEP_PROBLEMS:
            self.kept.append(Problem(self.file, line, column, message))
        key = reason or generic_reason(column, message)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                key = M_("have other problems (see --verbose)")
                group = self.groups.setdefault(key, Group(key))
            else:
                group = self.groups[key] = Group(key)
        if group.last != line:  # a line with two problems of one kind counts once
            group.last = line
            group.lines += 1
            if len(group.first) < GROUP_LINES:
                group.first.append(line)

    def add_row(self, line: int, problem: RowProblem) -> None:
        """A refused row: each of its problems, and the row counted once."""
        for one in problem.all():
            self.add(line, one.column, one.message, reason=one.reason)
        self.rows += 1

    def explain(self, *, total_rows: int, rejects: str) -> list[str]:
        """Why a file was refused, the fix first: one line per reason, biggest first; then
        each problem when there are few; then what to do with the rest."""
        out = [g.describe() for g in sorted(self.groups.values(), key=lambda g: -g.lines)]
        if self.count <= LIST_ALL:
            out += [str(p) for p in self.kept]
        else:
            out.append(M_("every problem: add --verbose"))
        good = total_rows - self.rows
        if good > 0:
            out.append(
                M_n(
                    "to import the other line now: --skip-invalid "
                    "(the refused lines go to {rejects}, each with its reason)",
                    "to import the other {n:,} lines now: --skip-invalid "
                    "(the refused lines go to {rejects}, each with its reason)",
                    good,
                    rejects=rejects,
                )
            )
        return out


class RejectsWriter:
    """`--skip-invalid`: the bad rows, as they were, plus a `reason` column.

    Written through `crmcli.files.Output`: the path is checked before the import starts
    (never the database, never the input file, an existing file only with `force`),
    and the file appears, whole, only when there is at least one rejected row.
    """

    def __init__(
        self,
        path: Path,
        headers: Sequence[str],
        *,
        db: Engine,
        source: Path,
        force: bool = False,
    ) -> None:
        self.path = path
        self._out = Output(
            path,
            protect=[*protect_database(db), *protect_inputs(source)],
            force=force,
            newline="",
            what="rejects file",
        )
        self._file = self._out.open()
        self._writer = csv.writer(self._file)  # type: ignore[arg-type]
        self._writer.writerow([*headers, "reason"])
        self.count = 0

    def write(self, cells: Sequence[str], reason: str) -> None:
        self._writer.writerow([*cells, reason])
        self.count += 1

    def finish(self) -> Path | None:
        """Put the file in place if any row was rejected; returns its path, else None."""
        if not self.count:
            self._out.discard()
            return None
        return self._out.commit()

    def abort(self) -> None:
        """The import failed: no rejects file, and an old one at the path is untouched."""
        self._out.discard()
        self._out.retract()


def rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")
