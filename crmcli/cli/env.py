"""What a command runs against: the database location, the streams, the terminal.

One `Env` per invocation (httpie's idea): commands take everything from it, so
tests can inject streams, and nothing opens the database until a command needs it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from crmcli import dates, settings
from crmcli.db import MEMORY, open_db, open_read

if TYPE_CHECKING:  # sqlite-utils costs ~60 ms to import: only real work pays it
    from sqlite_utils import Database


@dataclass
class Env:
    db_path: Path
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _db: Database | None = None
    _defaults: Database | None = None  # settings' defaults while no database exists

    @property
    def stdout_isatty(self) -> bool:
        try:
            return self.stdout.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def db(self) -> Database:
        """For commands that write: opened (created 0600 if need be) and migrated on first use."""
        if self._db is None:
            self._db = open_db(self.db_path)
        return self._db

    def read_db(self) -> Database:
        """For commands that only read: a missing database is an error, never a new file."""
        if self._db is None:
            self._db = open_read(self.db_path)
        return self._db

    def settings_db(self) -> Database:
        """Where settings are read: the database, or defaults while it does not exist yet."""
        if self._db is None and str(self.db_path) != MEMORY and not self.db_path.exists():
            if self._defaults is None:
                self._defaults = open_db(MEMORY)
            return self._defaults
        return self.read_db()

    def say(self, message: str) -> None:
        """A message for the person, on stderr (never mixed into data on stdout)."""
        from crmcli.cli.screen import printable  # names in messages: escapes shown, not obeyed

        print(printable(message, newlines=True), file=self.stderr, flush=True)

    def today(self, as_of: str | None = None) -> dates.date:
        if as_of:
            return dates.iso_date(as_of, what="--as-of")
        return dates.today(settings.get(self.settings_db(), "timezone"))

    @property
    def user(self) -> str:
        return settings.get(self.settings_db(), "staff.default") or os.environ.get("USER", "")


def get_env(ctx: typer.Context) -> Env:
    root = ctx.find_root()
    assert isinstance(root.obj, Env), "the root callback sets the Env"
    return root.obj
