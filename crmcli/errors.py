"""The domain errors, and the exit status each one maps to.

Every error a user can cause is a `CrmError`; the CLI turns it into one line on
stderr and its exit status, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple

from crmcli.i18n import M_, M_n


class ExitStatus(IntEnum):
    """What the process returns; documented in the README."""

    SUCCESS = 0
    ERROR = 1  # a domain error: bad input, not found, conflict
    USAGE = 2  # the command line itself is wrong
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it, so a wrapper or cron
    # job tells a stopped run from a refused one


def busy_too_long(seconds: float) -> str:
    """The refusal of a write that waited its whole time for another writer: the same
    words on both engines (SQLite's write lock, a server's row and table locks)."""
    return M_(
        "the database is busy: another crmcli process has been writing for over {seconds} s; "
        "try again when it is done"
    ).format(seconds=f"{seconds:.0f}")


class CrmError(Exception):
    """Anything a user can cause; its message is shown as is."""

    exit_status: ExitStatus = ExitStatus.ERROR


class NotFound(CrmError):
    """A customer, purchase, complaint… that does not exist."""


class Ambiguous(CrmError):
    """A reference that matches more than one record."""


class InvalidValue(CrmError):
    """A value given on the command line (or a setting) that cannot be used."""


class Conflict(CrmError):
    """The change clashes with what is already stored (a duplicate, a stale state)."""


class DatabaseError(CrmError):
    """The database cannot be used: locked too long, read-only, full disk, not SQLite."""


class NoDatabase(DatabaseError):
    """A command that reads was pointed at a database file that does not exist (or is empty)."""


class ForeignDatabase(DatabaseError):
    """A database that is not crmcli's (file or server): crmcli will not read or change it."""

    @classmethod
    def of(cls, where: object, tables: list[str], *, role: str | None = None) -> ForeignDatabase:
        """The refusal, naming a few of its tables. `role`: the argument that named it
        (`SRC`, `DEST` of `db copy`) when it did not come from --db / CRMCLI_DB."""
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        if role == "DEST":
            template = M_(
                "{path} is not a crmcli database (it holds other tables: {shown}); crmcli "
                "leaves it unchanged. {role} must be a new file, an empty PostgreSQL database "
                "or a crmcli database with nothing in it"
            )
        elif role is not None:
            template = M_(
                "{path} is not a crmcli database (it holds other tables: {shown}); crmcli "
                "leaves it unchanged. Check {role}: it must be a crmcli database"
            )
        else:
            template = M_(
                "{path} is not a crmcli database (it holds other tables: {shown}); crmcli leaves "
                "it unchanged. Check --db / CRMCLI_DB, or run `crmcli db migrate --adopt` to add "
                "crmcli's tables to it"
            )
        return cls(template.format(path=where, shown=shown, role=role))


class NotADatabase(DatabaseError):
    """A file that is not an SQLite database at all."""


class UsageError(CrmError):
    """Options that do not go together."""

    exit_status = ExitStatus.USAGE


class Named(NamedTuple):
    """A field named in a message: the core says its name, the CLI its flag (`--cause`)."""

    field: str


class FieldMessage(CrmError):
    """An error whose message names fields: `str()` says them plainly, `text()` as asked.

    The core knows fields, not flags; the CLI renders the same message with its own
    option names, so a core test reads `lesson belongs to stage closed` and the
    terminal `--lesson belongs to stage closed`.
    """

    def __init__(self, *parts: str | Named) -> None:
        self.parts = parts
        super().__init__(self.text())

    def text(self, name: Callable[[str], str] = str, say: Callable[[str], str] = str) -> str:
        """The message, each field said by `name`, and the words around them by `say`
        (the core's English words in the user's language: `i18n.say_message`)."""
        return "".join(say(p) if isinstance(p, str) else name(p.field) for p in self.parts)

    @classmethod
    def said(cls, template: str, **values: object) -> FieldMessage:
        """The message `template` (in the user's language) with its {placeholders} filled;
        a value that is `Named` stays a field, said as the CLI's option (a list: parts)."""
        from string import Formatter  # only when such a message is raised

        parts: list[str | Named] = []
        for literal, key, spec, conversion in Formatter().parse(template):
            parts.append(literal)
            if key is None:
                continue
            value = values[key]
            if isinstance(value, Named):
                parts.append(value)
            elif isinstance(value, list):  # a message's own parts, fields among them
                parts.extend(value)
            else:
                shown = repr(value) if conversion == "r" else value
                parts.append(format(shown, spec or ""))
        return cls(*parts)


class FieldUsageError(FieldMessage, UsageError):
    """Options that do not go together, named as fields."""


class FieldValueError(FieldMessage, InvalidValue):
    """A value that cannot be used, its field named."""


class Problem(NamedTuple):
    """One bad value in an input file: where it is and what is wrong."""

    file: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class InvalidInput(CrmError):
    """An input file with problems; nothing from it was written."""

    def __init__(
        self,
        problems: list[Problem],
        *,
        summary: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        self.problems = problems
        if details is None:  # a few problems, each listed
            details = [str(p) for p in problems[:20]]
            if len(problems) > 20:
                details.append(M_("… and {n} more").format(n=len(problems) - 20))
        self.details = details
        head = summary or M_n(
            "{n} problem; nothing was imported", "{n} problems; nothing was imported", len(problems)
        )
        super().__init__("\n".join([head, *(f"  {d}" for d in details)]))
