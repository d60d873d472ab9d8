"""What a command runs against: the database location, the streams, the terminal.

One `Env` per invocation (httpie's idea): commands take everything from it, so
tests can inject streams, and nothing opens the database until a command needs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from crmcli.db_url import PostgresUrl, Target
from crmcli.i18n import M_, _

if TYPE_CHECKING:  # the storage layer loads when a command needs it
    from datetime import date

    from crmcli.engines import Engine
    from crmcli.files import Output

# `--output FILE` and `--force`, declared once for the commands that write records.
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (0600, whole) instead of stdout."),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace the --output file if it already exists.")
]


class Env:
    """One invocation's database location, streams and `--output` files.

    A plain class, not a dataclass: it is mutable and made once per command, and a
    dataclass's generated methods cost every command their compilation (issue 17).
    """

    def __init__(
        self,
        db_path: Target,  # an SQLite file's path, or a PostgreSQL URL
        stdout: TextIO | None = None,  # None: sys.stdout as it is when the Env is made
        stderr: TextIO | None = None,
        _db: Engine | None = None,
        _defaults: Engine | None = None,  # settings' defaults while no database exists
        # `--output` files being written; shared by the copies `to_file` makes.
        _outputs: list[Output] | None = None,
        # The command stores nothing even when it succeeds (a dry run): a database file
        # it made goes with it, as after a refusal.
        stores_nothing: bool = False,
    ) -> None:
        self.db_path = db_path
        self.stdout: TextIO = sys.stdout if stdout is None else stdout
        self.stderr: TextIO = sys.stderr if stderr is None else stderr
        self._db = _db
        self._defaults = _defaults
        self._outputs: list[Output] = [] if _outputs is None else _outputs
        self.stores_nothing = stores_nothing

    @property
    def stdout_isatty(self) -> bool:
        try:
            return self.stdout.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def db(self) -> Engine:
        """For commands that write: opened (created 0600 if need be) and migrated on first use."""
        if self._db is None:
            from crmcli.db import open_db  # the storage layer loads when a command needs it

            self._db = open_db(self.db_path, on_wait=self._say_waiting)
        return self._db

    @property
    def opened(self) -> Engine | None:
        """The database the command has opened so far, if any."""
        return self._db

    def read_db(self) -> Engine:
        """For commands that only read: a missing database is an error, never a new file."""
        if self._db is None:
            from crmcli.db import open_read

            self._db = open_read(self.db_path, notice=self.say, on_wait=self._say_waiting)
        return self._db

    def _say_waiting(self) -> None:
        # The engine's `on_wait`, from its opening on: a write that waits for another
        # process's says so once (a first run waiting for another one's migrations too),
        # so a clerk whose command waits behind an import sees why, instead of a
        # terminal that hangs.
        self.say(
            f"crmcli: {self.db_path}: " + _("another crmcli process is writing; waiting for it")
        )

    def settings_db(self) -> Engine:
        """Where settings are read: the database, or defaults while it does not exist yet."""
        from crmcli.db import MEMORY, open_db

        path = self.db_path
        if isinstance(path, PostgresUrl):
            return self.read_db()
        if self._db is None and str(path) != MEMORY and not path.exists():
            if self._defaults is None:
                self._defaults = open_db(MEMORY)
            return self._defaults
        return self.read_db()

    def to_file(self, path: Path | None, *, force: bool = False) -> Env:
        """This Env with stdout going to `path` (`--output`), or itself when None.

        The file is written through `crmcli.files.Output` (never the database, a link
        or, without --force, an existing file; 0600; whole or not at all): the root
        command puts it in place when the command succeeds and drops it otherwise.
        """
        if path is None or str(path) == "-":
            return self
        from crmcli.files import Output, database_family

        protect = [
            (p, M_("the database (or one of its files)")) for p in database_family(self.db_path)
        ]
        out = Output(path, protect=protect, force=force, newline="")
        file = out.open()
        self._outputs.append(out)
        return Env(
            self.db_path,
            file,
            self.stderr,
            self._db,
            self._defaults,
            self._outputs,
            self.stores_nothing,
        )

    def close_outputs(self, *, keep: bool) -> None:
        """Put every --output file in place (`keep`), or drop them all, and with them a
        database file this command created and stored nothing in (`discard_new`): a
        refused command on a mistyped --db leaves no file behind, nor does a dry run."""
        if (not keep or self.stores_nothing) and self._db is not None:
            from crmcli.db import discard_new

            if discard_new(self._db):
                self._db = None
        outputs, self._outputs[:] = list(self._outputs), []
        for i, out in enumerate(outputs):
            try:
                if keep:
                    out.commit()
                else:
                    out.discard()
            except BaseException:
                for rest in outputs[i + 1 :]:
                    rest.discard()
                raise

    def say(self, message: str) -> None:
        """A message for the person, on stderr (never mixed into data on stdout)."""
        # Names in messages: escapes shown, not obeyed; on a terminal, lines that fit it.
        from crmcli.cli.screen import fitted, printable

        print(fitted(printable(message, newlines=True), self.stderr), file=self.stderr, flush=True)

    def today(self, as_of: str | None = None) -> date:
        from crmcli import dates, settings

        if as_of:
            return dates.iso_date(as_of, what="--as-of")
        return dates.today(settings.get(self.settings_db(), "timezone"))

    @property
    def user(self) -> str:
        from crmcli import settings

        return settings.get(self.settings_db(), "staff.default") or os.environ.get("USER", "")


def confirm(question: str) -> None:
    """Ask `question` at the terminal: y or yes goes on; n, no or Enter aborts (typer
    then says "Aborted." in the language).

    click's own `confirm` answers anything else with "Error: invalid input", in English
    under every language: here the question is asked again after the language's words.
    """
    while True:
        try:
            answer = input(f"{question} [y/N]: ").strip().lower()
        except (KeyboardInterrupt, EOFError):
            raise typer.Abort() from None
        if answer in ("y", "yes"):
            return
        if answer in ("", "n", "no"):
            raise typer.Abort()
        print(_("please answer y or n"), file=sys.stderr, flush=True)


def get_env(ctx: typer.Context) -> Env:
    # The invocation's Env (the root callback made it).
    root = ctx.find_root()
    assert isinstance(root.obj, Env), "the root callback sets the Env"
    return root.obj
