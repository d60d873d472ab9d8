"""Where the database lives, how it is opened, and how writers take their lock.

This is the one place that opens a connection: `open_db` sets the pragmas and
applies pending migrations; `write` wraps a change in `BEGIN IMMEDIATE`, so two
processes never interleave their writes and a reader (a cron job) never blocks.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli.errors import DatabaseError

if TYPE_CHECKING:  # sqlite-utils costs ~60 ms to import: only real work pays it
    from sqlite_utils import Database

ENV_VAR = "CRMCLI_DB"
APP_NAME = "crmcli"
DB_FILENAME = "crmcli.db"
MEMORY = ":memory:"

# Statements wait this long for a lock before SQLite reports "database is locked";
# `write` waits longer, in a loop, and says so on the way.
BUSY_TIMEOUT_MS = 5_000
WRITE_WAIT_SECONDS = 120.0


def resolve_db_path(option: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """`--db`, else `$CRMCLI_DB`, else the platform's user data directory. Creates nothing."""
    environ = os.environ if environ is None else environ
    if option:
        return Path(option).expanduser()
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]).expanduser()
    import platformdirs  # imported here: only this fallback needs it

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILENAME


def _create_private(path: Path) -> None:
    """Create the database file 0600 (and a new directory 0700) before SQLite does."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:  # a read-only folder, a full disk, a missing permission
        raise DatabaseError(f"cannot create {path}: {exc.strerror or exc}") from exc
    os.close(fd)


def connect(path: Path | str) -> Database:
    """A connection with crmcli's pragmas, and no migrations run (see `open_db`)."""
    from sqlite_utils import Database

    path_str = str(path)
    if path_str != MEMORY:
        path = Path(path_str)
        if path.is_dir():
            raise DatabaseError(f"{path} is a directory, not a database file")
        _create_private(path)
    try:
        conn = sqlite3.connect(path_str, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if path_str != MEMORY:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal" and os.access(path_str, os.W_OK):
                raise DatabaseError(f"{path_str}: cannot switch the database to WAL mode")
        conn.execute(
            "PRAGMA synchronous = NORMAL"
        )  # safe with WAL: a crash loses no committed write
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path_str}: {explain(exc)}") from exc
    return Database(conn)


def open_db(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (creating if need be) the database at `path`, schema up to date."""
    db = connect(path)
    if migrate:
        from crmcli.migrations import apply_pending

        apply_pending(db)
    return db


@contextmanager
def write(db: Database, *, on_wait: Callable[[], None] | None = None) -> Iterator[Database]:
    """One write transaction, `BEGIN IMMEDIATE`: all of it is stored, or none of it.

    Nested calls become savepoints of the outer transaction. While another process
    holds the write lock, wait (calling `on_wait` once) up to `WRITE_WAIT_SECONDS`.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    warned = False
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if not is_locked(exc) or time.monotonic() > deadline:
                raise DatabaseError(
                    f"the database is busy: another crmcli process has been writing "
                    f"for over {WRITE_WAIT_SECONDS:.0f} s; try again when it is done"
                    if is_locked(exc)
                    else explain(exc)
                ) from exc
            if not warned and on_wait is not None:
                on_wait()
                warned = True
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def explain(exc: BaseException) -> str:
    """A user-facing sentence for the SQLite failures a user can cause."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        return "the database file is read-only; nothing was changed"
    if "disk is full" in low or "database or disk is full" in low:
        return "the disk is full; nothing was changed"
    if "disk i/o error" in low:
        return (
            "the disk refused the write (full, over a size limit, or failing); nothing was changed"
        )
    if "file is not a database" in low or "malformed" in low:
        return f"this is not a crmcli database, or it is damaged ({text})"
    if "unable to open" in low:
        return "cannot open the database file (check the folder exists and is writable)"
    if is_locked(exc):
        return "the database is busy: another crmcli process is writing; try again"
    return text


def backup(db: Database, target: Path) -> None:
    """A consistent copy through SQLite's online backup API, created 0600."""
    if target.exists():
        from crmcli.errors import Conflict

        raise Conflict(f"{target} already exists; choose another name or remove it first")
    _create_private(target)
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    except BaseException:
        dest.close()
        # A half-written copy looks like a backup and is not one: remove it.
        for leftover in (target, Path(f"{target}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    dest.close()


def check(db: Database) -> list[str]:
    """Problems found by `integrity_check` and `foreign_key_check`; empty when healthy."""
    problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall() if row[0] != "ok"]
    for table, rowid, parent, _fk in db.execute("PRAGMA foreign_key_check").fetchall():
        problems.append(f"{table} row {rowid} points to a missing {parent} row")
    return problems
