"""Where the database lives, how it is opened, and how writers take their lock.

This is the one place that opens a database, and it hands out an `Engine`
(`crmcli.engines`): an SQLite file, or a PostgreSQL server's database for a URL.
`open_db` (commands that write) creates a missing file 0600, refuses another
application's SQLite file, sets WAL and applies pending migrations; `open_read`
(commands that only read) creates nothing and switches nothing: a missing database
is an error, not an empty shop. The SQLite side lives here (the file, PRAGMAs, WAL,
migrations, integrity checks); writes go through the engine's `write()`.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from crmcli import engines, migrations, postgres, search
from crmcli.db_url import PostgresUrl, Target
from crmcli.db_url import parse as parse_target
from crmcli.engines import (
    BUSY_TIMEOUT_MS,
    Engine,
    PostgresEngine,
    SqliteEngine,
    explain,
    is_locked,
)
from crmcli.errors import DatabaseError, ForeignDatabase, NoDatabase, NotADatabase
from crmcli.files import PRIVATE_FILE, create_private, database_family
from crmcli.i18n import M_

__all__ = ["BUSY_TIMEOUT_MS", "Engine", "explain", "is_locked"]  # SQLite's, kept in reach

ENV_VAR = "CRMCLI_DB"
APP_NAME = "crmcli"
DB_FILENAME = "crmcli.db"
MEMORY = ":memory:"


def resolve_db_path(option: str | None, environ: Mapping[str, str] | None = None) -> Target:
    """`--db`, else `$CRMCLI_DB`, else the platform's user data directory. Creates nothing.

    A path is an SQLite file; a PostgreSQL URL names a server's database; another
    scheme is a `UsageError` (see `crmcli.db_url`).
    """
    environ = os.environ if environ is None else environ
    if option:
        return parse_target(option, source="--db")
    if environ.get(ENV_VAR):
        return parse_target(environ[ENV_VAR], source=ENV_VAR)
    import platformdirs  # imported here: only this fallback needs it

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILENAME


# How a file at a database path looks before crmcli touches it.
MISSING = "missing"  # no file: a write creates it, a read says so
EMPTY = "empty"  # a zero-byte file, or SQLite without a single table: a write sets it up
CRMCLI = "crmcli"  # crmcli's own schema marker (its migrations table)
FOREIGN = "foreign"  # another application's SQLite file: refused unless adopted
SMALLEST_PAGE = 512  # SQLite's smallest page size; a database file holds whole pages


def no_database(path: Path | str, why: str = "", *, role: str | None = None) -> DatabaseError:
    """`why`: what is there instead (`the file is empty`), itself a message (M_).

    `role`: the argument that named the database (`SRC` of `db copy`), when it did not
    come from --db / CRMCLI_DB: the advice is then about that argument.
    """
    if role is not None:
        template = (
            M_(
                "no crmcli database at {path}: {why}; {role} must be an existing crmcli "
                "database (its file, or a postgresql:// URL)"
            )
            if why
            else M_(
                "no crmcli database at {path}; {role} must be an existing crmcli database "
                "(its file, or a postgresql:// URL)"
            )
        )
        return NoDatabase(template.format(path=path, why=why, role=role))
    if why:
        return NoDatabase(
            M_(
                "no crmcli database at {path}: {why} (a command that adds data, such as "
                "`crmcli customers add` or `crmcli customers import FILE`, creates one; "
                "or check --db / CRMCLI_DB)"
            ).format(path=path, why=why)
        )
    return NoDatabase(
        M_(
            "no crmcli database at {path} (a command that adds data, such as "
            "`crmcli customers add` or `crmcli customers import FILE`, creates one; "
            "or check --db / CRMCLI_DB)"
        ).format(path=path)
    )


def not_crmcli(path: Path | str, tables: list[str], *, role: str | None = None) -> DatabaseError:
    """Another application's file; `role` as in `no_database`."""
    return ForeignDatabase.of(path, tables, role=role)


def _sniff(path: Path) -> str | None:
    """MISSING, EMPTY, or None when SQLite must look (`kind_of` refuses what is not SQLite).

    Only `stat`, never open: this process may already hold a connection to the file
    (a second `open_db`, a test or a worker running commands in process), and closing
    any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    included. Without its shared lock, another process closing its connection takes
    itself for the last one, checkpoints and deletes the -wal our connection still
    writes to: "disk I/O error" and lost commits. SQLite reads the header itself, and
    its own files are closed without dropping the locks of other connections.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        raise DatabaseError(f"{path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseError(M_("{path} is a directory, not a database file").format(path=path))
    if info.st_size == 0:
        # A new database's first pages may still be in its WAL (another process is
        # creating it right now): let SQLite read that rather than call it empty.
        wal = Path(f"{path}-wal")
        return None if wal.exists() and wal.stat().st_size > 0 else EMPTY
    if info.st_size < SMALLEST_PAGE:
        # SQLite would take a few bytes of text for an empty database (and a write would
        # set one up over it): no SQLite file is shorter than its first page.
        raise not_sqlite(path)
    return None


def not_sqlite(path: Path | str) -> DatabaseError:
    if _is_pg_dump(path):
        # What `db backup` makes of a server by default: said as what it is, and how
        # to use it, rather than "not an SQLite file".
        return NotADatabase(
            M_(
                "{path} is a pg_dump archive, not a crmcli database: restore it onto a "
                "server with pg_restore (`pg_restore --dbname=URL {path}`); for a copy "
                "crmcli opens and `db copy` reads, back up with `crmcli db backup FILE "
                "--as sqlite`"
            ).format(path=path)
        )
    return NotADatabase(
        M_(
            "{path} is not a crmcli database (not an SQLite file); crmcli leaves it "
            "unchanged. Check --db / CRMCLI_DB"
        ).format(path=path)
    )


PG_DUMP_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom-format archive


def _is_pg_dump(path: Path | str) -> bool:
    try:
        with open(path, "rb") as file:  # not an SQLite file: no lock of SQLite's to drop
            return file.read(len(PG_DUMP_MAGIC)) == PG_DUMP_MAGIC
    except OSError:
        return False


def _is_not_sqlite(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB


def kind_of(db: SqliteEngine) -> tuple[str, list[str]]:
    """(EMPTY | CRMCLI | FOREIGN, the tables found) for an open connection."""
    try:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            ).fetchall()
        ]
        if not tables:
            return EMPTY, tables
        if "_sqlite_migrations" in tables:
            marked = db.execute(
                "SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'crmcli' LIMIT 1"
            ).fetchone()
            if marked:
                return CRMCLI, tables
    except sqlite3.DatabaseError as exc:
        if _is_not_sqlite(exc):  # its header is not SQLite's: a text file, a spreadsheet
            raise not_sqlite(db_file(db) or "the file") from exc
        raise DatabaseError(f"{db_file(db) or 'the database'}: {explain(exc)}") from exc
    return FOREIGN, tables


def db_file(db: SqliteEngine) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else ""


def _uri(path: Path) -> str:
    # mode=rw: SQLite never creates the file; only `open_db` does, on purpose and 0600.
    return f"file:{quote(os.fspath(path))}?mode=rw"


def connect(path: Path | str) -> SqliteEngine:
    """A connection with crmcli's pragmas; it creates no file and changes nothing in one."""
    path_str = str(path)
    try:
        if path_str == MEMORY:
            conn = sqlite3.connect(MEMORY, isolation_level=None)
        else:
            conn = sqlite3.connect(
                _uri(Path(path_str)),
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "PRAGMA synchronous = NORMAL"
        )  # safe with WAL: a crash loses no committed write
        # A REPLACE that deletes a row fires its delete triggers (the search index's)
        # only with this on; sqlite-utils, which crmcli used to connect through, set it.
        conn.execute("PRAGMA recursive_triggers = ON")
    except sqlite3.DatabaseError as exc:
        if _is_not_sqlite(exc):
            raise not_sqlite(path_str) from exc
        raise DatabaseError(f"{path_str}: {explain(exc)}") from exc
    return SqliteEngine(conn)


def use_wal(db: SqliteEngine) -> None:
    """WAL, so a cron reader never blocks a writer; set only where crmcli writes its own file."""
    path_str = db_file(db)
    try:
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path_str}: {explain(exc)}") from exc
    if mode.lower() != "wal" and os.access(path_str, os.W_OK):
        raise DatabaseError(f"{path_str}: " + M_("cannot switch the database to WAL mode"))


def _make_private(path: Path) -> None:
    """A pre-existing empty file taken as the new database becomes 0600 (if it is ours)."""
    try:
        info = path.stat()
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != PRIVATE_FILE:
            os.chmod(path, PRIVATE_FILE)
    except OSError:
        pass  # not ours to change: SQLite will say if it cannot write


def open_db(
    path: Target | str,
    *,
    migrate: bool = True,
    adopt: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> Engine:
    """Open for writing: create the file (0600, folders 0700) if need be, schema up to date.

    Refuses a file that is not crmcli's (see `kind_of`) unless `adopt` is asked for.
    A PostgreSQL URL opens the server's database on the same terms (`crmcli.postgres`).
    `on_wait` becomes the engine's (`Engine.on_wait`) before the migrations: a first run
    that waits for another one migrating says so, as any write that waits does.
    """
    path = _target(path)
    if isinstance(path, PostgresUrl):
        conn = postgres.open_db(
            path,
            migrate=migrate,
            adopt=adopt,
            on_wait=on_wait,
            said_after=engines.WAIT_SAID_AFTER_S,
        )
        engine: Engine = PostgresEngine(path, conn)
    else:
        engine = open_sqlite(path, migrate=migrate, adopt=adopt, on_wait=on_wait)
    engine.on_wait = on_wait
    return engine


def _target(path: Target | str) -> Target | str:
    """A string names a database as `--db` does: a `postgresql://` URL (or libpq's
    `key=value` form) is the server's database, never a file created under that name."""
    if isinstance(path, str) and path != MEMORY:
        return parse_target(path, source="the database")
    return path


def open_sqlite(
    path: Path | str,
    *,
    migrate: bool = True,
    adopt: bool = False,
    role: str | None = None,
    on_wait: Callable[[], None] | None = None,
) -> SqliteEngine:
    """`open_db` for an SQLite file (or `:memory:`), typed as the SQLite engine it is.

    `role`: the argument that named it, for the refusal of another application's file.
    A file this call creates is marked (`SqliteEngine.created`): a command refused after
    opening it takes it away again (`discard_new`).
    """
    path_str = str(path)
    if path_str == MEMORY:
        db = connect(MEMORY)
        if migrate:
            _migrate(db, adopt=False, path_str=path_str)
        return db
    path = Path(path_str)
    for attempt in range(REOPENS + 1):
        last = attempt == REOPENS
        folders = _missing_folders(path)
        created = False
        sniffed = _sniff(path)
        if sniffed == MISSING:
            try:
                created = create_private(path)
            except OSError as exc:  # a read-only folder, a full disk, a missing permission
                raise DatabaseError(
                    M_("cannot create {path}: {reason}").format(
                        path=path, reason=exc.strerror or exc
                    )
                ) from exc
        elif sniffed == EMPTY:
            _make_private(path)
        opened = _inode(path)
        try:
            db = _open_file(path, migrate=migrate, adopt=adopt, role=role, on_wait=on_wait)
        except DatabaseError:
            # SQLite refuses to write a file that was unlinked under it ("read-only"):
            # dropped meanwhile by the refused command that made it. Make it anew.
            if not last and _inode(path) != opened:
                continue
            raise
        # In WAL mode this connection now keeps the file from being dropped (`discard_new`
        # needs it to itself). A file dropped before that is not the one at `path` any
        # more: this connection would write where nobody reads.
        if not last and (opened is None or _inode(path) != opened):
            db.close()
            continue
        if created:
            db.created = NewFile(
                path, folders, db.commits, db.execute("PRAGMA data_version").fetchone()[0]
            )
        return db
    raise AssertionError("unreachable: the last attempt returns or raises")


REOPENS = 2  # how often a file dropped under `open_sqlite` is made again


def _open_file(
    path: Path,
    *,
    migrate: bool,
    adopt: bool,
    role: str | None,
    on_wait: Callable[[], None] | None = None,
) -> SqliteEngine:
    db = connect(path)
    db.on_wait = on_wait  # the migrations' write waits for another's as any write
    try:
        kind, tables = kind_of(db)
        if kind == FOREIGN and not adopt:
            raise not_crmcli(path, tables, role=role)
        # An adopted file keeps its journal mode until crmcli's tables are in it.
        if kind != FOREIGN:
            use_wal(db)
    except BaseException:
        db.close()
        raise
    if migrate:
        _migrate(db, adopt=adopt, path_str=str(path))
    return db


class NewFile(NamedTuple):
    """A database file `open_sqlite` created, as it was once its schema was in."""

    path: Path
    folders: list[Path]  # the folders made for it, deepest first
    commits: int  # its engine's commits by then (`SqliteEngine.commits`)
    data_version: int  # SQLite's count of other connections' commits, as then


def discard_new(db: Engine) -> bool:
    """Take away the database file (and folders) `open_sqlite` made for a command that
    was then refused: a mistyped `--db` or a refused first import leaves nothing behind.

    Only when nothing was stored in it since its schema — by this engine (no commit)
    or by another process (SQLite's `data_version`) — and no other connection has it
    open: SQLite leaves WAL mode only for a connection that has the file to itself, and
    the exclusive lock then keeps every other out while the files go. Otherwise (or on
    any error) the file stays, as it would have before. True when it went; `db` is
    closed then.
    """
    new = getattr(db, "created", None)
    if not isinstance(db, SqliteEngine) or new is None or db.in_transaction:
        return False
    conn = db.conn
    if db.commits != new.commits:
        return False
    try:
        conn.execute("PRAGMA busy_timeout = 0")  # never wait: someone else is using it
        if conn.execute("PRAGMA data_version").fetchone()[0] != new.data_version:
            return False
        if str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower() != "delete":
            return False
        # (Leaving WAL moves data_version itself: it is read before, not after.)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            for file in database_family(new.path):
                file.unlink(missing_ok=True)
        finally:
            conn.execute("ROLLBACK")
    except (sqlite3.Error, OSError):
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.close()
    for folder in new.folders:
        try:
            folder.rmdir()  # only an empty one; another's file in it keeps it
        except OSError:
            break
    return True


def _missing_folders(path: Path) -> list[Path]:
    missing = []
    for folder in path.parents:
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _migrate(db: SqliteEngine, *, adopt: bool, path_str: str) -> None:
    try:
        apply_pending(db)
        if adopt and path_str != MEMORY:
            use_wal(db)
    except BaseException:
        db.close()
        raise


def open_read(
    path: Target | str,
    *,
    notice: Callable[[str], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Engine:
    """Open for a command that only reads: nothing is created, adopted or switched.

    A missing or empty file is `NoDatabase`, another application's file
    `ForeignDatabase`. crmcli's own database made by an older version is brought up
    to date as a write would (the same transactional migrations, on crmcli's own file),
    so a cron `due` keeps working after an upgrade; see the README. When this user
    may not write it (cron running as another user), the command reads an up-to-date
    copy in memory instead, and `notice` is told so.
    """
    path = _target(path)
    if isinstance(path, PostgresUrl):
        conn = postgres.open_read(path, on_wait=on_wait, said_after=engines.WAIT_SAID_AFTER_S)
        engine = PostgresEngine(path, conn)
        engine.on_wait = on_wait
        return engine
    path_str = str(path)
    if path_str == MEMORY:
        return open_sqlite(MEMORY, migrate=True, adopt=False)
    path = Path(path_str)
    sniffed = _sniff(path)
    if sniffed == MISSING:
        raise no_database(path)
    if sniffed == EMPTY:
        raise no_database(path, M_("the file is empty"))
    db = connect(path)
    db.on_wait = on_wait  # an upgrade waiting for another process's says so
    try:
        kind, tables = kind_of(db)
        if kind == EMPTY:
            raise no_database(path, M_("an SQLite file without tables"))
        if kind == FOREIGN:
            raise not_crmcli(path, tables)
        if migrations.pending_names(db) and not _writable(path):
            copy = _migrated_copy(db)
            db.close()
            if notice is not None:
                notice(
                    f"crmcli: note: {path} was made by an older crmcli and this user cannot "
                    "upgrade it; read from an upgraded copy in memory (run `crmcli db migrate` "
                    "as its owner)"
                )
            return copy
        apply_pending(db)
    except BaseException:
        db.close()
        raise
    return db


def _writable(path: Path) -> bool:
    # SQLite needs the folder too (for the -wal, -shm or -journal beside the file).
    return os.access(path, os.W_OK) and os.access(path.parent or Path("."), os.W_OK)


def _migrated_copy(db: SqliteEngine) -> SqliteEngine:
    """The database copied into memory (SQLite's backup API), schema brought up to date."""
    copy = connect(MEMORY)
    try:
        db.conn.backup(copy.conn)
        apply_pending(copy)
    except BaseException:
        copy.close()
        raise
    return copy


def _rebuild_search_documents(db: SqliteEngine) -> None:
    # Derived data, not schema: a search document must be made by the same code that
    # folds the query, or old customers go unfound. So unlike a migration, this uses
    # the live code, and runs again whenever a later release names it below.
    search.reindex(db)


# Derived data to rebuild, with the live code, after a migration is applied (in the
# same transaction): migration name → rebuilders.
REBUILDS = {"m095_search_words": [_rebuild_search_documents]}


def apply_pending(db: SqliteEngine) -> list[str]:
    """Apply pending migrations under the write lock; returns the names applied.

    Two processes opening an old database at once: the second waits for the lock,
    then finds nothing pending, so every migration runs exactly once.
    """
    applied = migrations.applied_names(db)
    unknown = set(applied) - set(migrations.names())
    if unknown:
        raise DatabaseError(
            M_(
                "this database was made by a newer crmcli (it has migration {names}); "
                "upgrade crmcli to use it"
            ).format(names=", ".join(sorted(unknown)))
        )
    if not migrations.pending_names(db):
        return []
    from sqlite_utils import Database  # ~60 ms, with pluggy: paid only when one is pending

    # The migrations use sqlite-utils' table API, on this same connection. Its plugins
    # are not crmcli's: none may change the connection.
    tables = Database(db.conn, execute_plugins=False)
    try:
        with db.write():
            todo = migrations.pending_names(db)
            migrations.migration_set().apply(tables)
            for rebuild in dict.fromkeys(r for name in todo for r in REBUILDS.get(name, [])):
                rebuild(db)
    except sqlite3.Error as exc:
        # All pending migrations share one transaction: a failure rolls every one back.
        at = [name for name in migrations.names() if name in applied]
        raise DatabaseError(
            M_(
                "could not bring the database's schema up to date ({error}); it is unchanged, "
                "still at migration {migration}"
            ).format(error=explain(exc), migration=at[-1] if at else "none")
        ) from exc
    return todo


def check(db: SqliteEngine) -> list[str]:
    """Problems found by `integrity_check` and `foreign_key_check`; empty when healthy."""
    problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall() if row[0] != "ok"]
    for table, rowid, parent, _fk in db.execute("PRAGMA foreign_key_check").fetchall():
        problems.append(f"{table} row {rowid} points to a missing {parent} row")
    return problems
