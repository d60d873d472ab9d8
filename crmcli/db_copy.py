"""`crmcli db copy`: a whole crmcli database moved to another engine, all or nothing.

SQLite → PostgreSQL when a shop outgrows one file, PostgreSQL → SQLite to take it
back (or to hand someone a file), SQLite → SQLite as a clean re-copy. The source is
read in one snapshot (`Engine.read_snapshot`), so tills may go on writing to it; what
they write meanwhile is not copied.

The destination must hold nothing yet: a new file, an empty PostgreSQL database
(`createdb`), or a crmcli database with nothing but what its migrations put in (the
greeting templates). Its schema is made by crmcli's own migrations, in the same
transaction as the rows: one transaction on the destination holds the schema, every
table in foreign-key order, the ids, and the checks after, so an error, a mismatch or
Ctrl-C leaves it exactly as it was (a new SQLite file is written beside its name and
renamed into place only once complete). Both sides must be at this crmcli's schema
version: the rows then fit the destination's columns one to one.

Derived data follows by itself: on SQLite the search indexes (FTS5) are filled by
their triggers as customers arrive, and checked after; on PostgreSQL they are plain
indexes. Complaint history is append-only on both engines, which refuses UPDATE and
DELETE, never INSERT: the copy only inserts.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, NamedTuple

from crmcli import db as sqlite_db
from crmcli import migrations, postgres, postgres_schema, text
from crmcli.db_url import PostgresUrl, Target
from crmcli.engines import Engine, PostgresEngine, SqliteEngine, pg_dump_program
from crmcli.errors import Conflict, DatabaseError, UsageError
from crmcli.files import Output, database_family
from crmcli.i18n import M_, M_n, either
from crmcli.progress import INDEXING, VERIFYING, ProgressFn, phase

PROGRESS_EVERY = 10_000  # rows between two progress calls
MONEY_SUFFIX = "_micros"  # money columns: integer micro-units, summed on both sides


class TableCopy(NamedTuple):
    """One table as checked on both sides after the copy."""

    name: str
    rows: int
    sums: dict[str, int]  # money column → its sum, in micro-units


class CopyResult(NamedTuple):
    tables: list[TableCopy]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def money_columns(self) -> list[str]:
        return [f"{t.name}.{c}" for t in self.tables for c in t.sums]


def copy_database(
    source: Target, target: Target, *, progress: ProgressFn | None = None
) -> CopyResult:
    """Copy every crmcli table of `source` into the empty database `target`, then check it.

    Refuses (`Conflict`) a `target` holding any row of its own, and leaves it unchanged
    on any failure (`DatabaseError`).
    """
    if _same_database(source, target):
        raise UsageError(f"{source} is both SRC and DEST: give another database to copy it to")
    src = open_source(source)
    try:
        _check_level(source, src)
        if isinstance(target, PostgresUrl):
            return _copy(src, source, target, progress, lambda fill: _into_postgres(target, fill))
        protect = database_family(source)
        return _copy(
            src, source, target, progress, lambda fill: _into_sqlite(target, fill, protect)
        )
    finally:
        src.close()


def _copy(
    src: Engine,
    source: Target,
    target: Target,
    progress: ProgressFn | None,
    into: Callable[[_Fill], None],
) -> CopyResult:
    """`src`'s snapshot: its tally taken, then poured `into` the destination and checked."""
    started = time.monotonic()
    with src.read_snapshot():
        tables = src.tables()
        expected = {t: _tally(src, t) for t in tables}
        into(_Fill(src, source, target, tables, expected, progress))
    return CopyResult([expected[t] for t in tables], time.monotonic() - started)


# --- `db backup` ------------------------------------------------------------------------
SQLITE_FILE = "sqlite"
PG_DUMP = "pg_dump"
BACKUP_KINDS = (SQLITE_FILE, PG_DUMP)


class Backup(NamedTuple):
    """What `back_up` made: its kind, whether pg_dump was missing, the copy's checks."""

    kind: str  # SQLITE_FILE or PG_DUMP
    without_pg_dump: bool  # an SQLite file because pg_dump is not installed (not asked for)
    checked: CopyResult | None  # a server's SQLite copy: the rows and sums checked


def back_up(
    db: Engine,
    target: Path,
    *,
    kind: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> Backup:
    """`db backup`: a consistent copy of the open database `db` in the new file `target`.

    An SQLite database is copied by SQLite's backup API. A PostgreSQL one becomes a
    pg_dump archive when pg_dump is installed, else (or when `kind` asks for it) an
    SQLite file, made and checked as `db copy` makes one: a file crmcli opens with --db
    and `db copy` puts back on a server, with no PostgreSQL program needed.
    """
    if kind is not None and kind not in BACKUP_KINDS:
        kinds = either(BACKUP_KINDS)  # "or" in the reader's language
        raise UsageError(M_("--as takes {kinds}, not {kind}").format(kinds=kinds, kind=repr(kind)))
    if not isinstance(db, PostgresEngine):
        if kind == PG_DUMP:
            raise UsageError(
                M_(
                    "--as pg_dump backs up a PostgreSQL database; this one is an SQLite file, "
                    "backed up as an SQLite file (leave --as out)"
                )
            )
        db.backup(target, force=force)
        return Backup(SQLITE_FILE, without_pg_dump=False, checked=None)
    missing = pg_dump_program() is None
    if kind == PG_DUMP or (kind is None and not missing):
        db.backup(target, force=force)  # refuses, naming what to install, without pg_dump
        return Backup(PG_DUMP, without_pg_dump=False, checked=None)
    _check_level(db.url, db)
    checked = _copy(
        db,
        db.url,
        target,
        progress,
        lambda fill: _into_new_sqlite_file(target, fill, protect=[], force=force, what="backup"),
    )
    return Backup(SQLITE_FILE, without_pg_dump=kind is None, checked=checked)


# The refusals name SRC and DEST as typed, not --db / CRMCLI_DB, which `db copy` ignores.
SOURCE, DEST = "SRC", "DEST"


def open_source(target: Target) -> Engine:
    """A crmcli database as it is: nothing created, migrated or switched to WAL."""
    if isinstance(target, PostgresUrl):
        # Refuses another application's database.
        conn = postgres.open_db(target, migrate=False, role=SOURCE)
        engine: Engine = PostgresEngine(target, conn)
        if postgres_schema.MARKER not in postgres_schema.user_tables(conn):
            engine.close()
            raise DatabaseError(f"no crmcli database at {target}: it holds no crmcli schema")
        return engine
    if not target.exists():
        raise sqlite_db.no_database(target, role=SOURCE)
    if target.is_file() and target.stat().st_size == 0:
        raise sqlite_db.no_database(target, M_("the file is empty"), role=SOURCE)
    db = sqlite_db.connect(target)
    try:
        kind, tables = sqlite_db.kind_of(db)
        if kind == sqlite_db.EMPTY:
            raise sqlite_db.no_database(target, M_("an SQLite file without tables"), role=SOURCE)
        if kind == sqlite_db.FOREIGN:
            raise sqlite_db.not_crmcli(target, tables, role=SOURCE)
    except BaseException:
        db.close()
        raise
    return db


def _same_database(a: Target, b: Target) -> bool:
    if isinstance(a, PostgresUrl) or isinstance(b, PostgresUrl):
        return a == b
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_level(where: Target, engine: Engine) -> None:
    """The source must be at this crmcli's schema version, no older and no newer."""
    applied = engine.applied_migrations()
    known = migrations.names()
    newer = [name for name in applied if name not in known]
    if newer:
        raise DatabaseError(
            f"{where} was made by a newer crmcli (it has migration {', '.join(newer)}); "
            "upgrade crmcli to copy it"
        )
    missing = [name for name in known if name not in applied]
    if missing:
        which = (
            f"migration {missing[0]} is"
            if len(missing) == 1
            else (f"migrations {missing[0]} and {len(missing) - 1} more are")
        )
        raise DatabaseError(
            f"{where} has an older schema ({which} not applied); bring it up to date first "
            f"with `crmcli --db {where} db migrate`, then copy it"
        )


def _into_postgres(url: PostgresUrl, fill: _Fill) -> None:
    # Refuses another application's database.
    conn = postgres.open_db(url, migrate=False, role=DEST)
    dst = PostgresEngine(url, conn)
    try:
        with dst.write():
            # Inside the copy's transaction: a failed copy leaves no schema behind either.
            postgres_schema.apply_pending(conn)
            fill.into(dst)
    finally:
        dst.close()


def _into_sqlite(path: Path, fill: _Fill, protect: list[Path]) -> None:
    if path.exists() and not (path.is_file() and path.stat().st_size == 0):
        # Refuses another application's file.
        dst = sqlite_db.open_sqlite(path, migrate=False, role=DEST)
        try:
            with dst.write():
                sqlite_db.apply_pending(dst)  # a savepoint of the copy's transaction
                fill.into(dst)
        finally:
            dst.close()
        return
    # An empty file given as DEST stays empty on a failure.
    _into_new_sqlite_file(path, fill, protect=protect, force=path.exists())


def _into_new_sqlite_file(
    path: Path, fill: _Fill, *, protect: list[Path], force: bool, what: str = "copy"
) -> None:
    # A new file is made beside its name and renamed into place only when complete:
    # a failure or Ctrl-C leaves no file, and an existing one (`force`) as it was.
    out = Output(
        path,
        protect=[(p, "the source database (or one of its files)") for p in protect],
        force=force,
        database=True,
        what=what,
    )
    out.open()
    assert out.tmp_path is not None
    try:
        dst = sqlite_db.open_sqlite(out.tmp_path)
        try:
            with dst.write():
                fill.into(dst)
            if what == "backup":  # one file, no WAL beside it, as SQLite's backup API makes
                dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except BaseException:
        out.discard()
        raise
    out.commit()


class _Fill:
    """Fills an empty destination, inside its transaction, from the source's snapshot."""

    def __init__(
        self,
        src: Engine,
        source: Target,
        target: Target,
        tables: list[str],
        expected: dict[str, TableCopy],
        progress: ProgressFn | None,
    ) -> None:
        self.src = src
        self.source = source
        self.target = target
        self.tables = tables
        self.expected = expected
        self.progress = progress
        self.total = sum(t.rows for t in expected.values())
        self.done = 0

    def into(self, dst: Engine) -> None:
        missing = sorted(set(self.tables) ^ set(dst.tables()))
        if missing:  # both at one schema version: only a damaged schema gets here
            raise DatabaseError(
                f"{self.source} and {self.target} do not have the same tables "
                f"({', '.join(missing)}); run `crmcli db check` on both"
            )
        order = _parents_first(dst, self.tables)
        self._refuse_rows_of_its_own(dst, order)
        self._refuse_what_it_cannot_index(dst)
        for table in reversed(order):  # what the migrations seeded gives way to the source's
            if _count(dst, table):
                dst.execute(f'DELETE FROM "{table}"')
        try:
            with dst.bulk_loading(order):
                for table in order:
                    self._copy_table(dst, table)
                phase(self.progress, INDEXING)  # as the block ends: its indexes built again
        except _database_errors() as exc:  # an index or a key rebuilt over the copied rows
            raise DatabaseError(
                f"copying to {self.target} failed, so nothing was copied: "
                f"{_explain(exc, self.source, self.target)}"
            ) from exc
        phase(self.progress, VERIFYING)
        self._verify(dst)

    def _refuse_rows_of_its_own(self, dst: Engine, order: list[str]) -> None:
        """A destination may hold what a new database holds (seeded rows), nothing else."""
        fresh = sqlite_db.open_sqlite(sqlite_db.MEMORY)
        try:
            for table in order:
                count = _count(dst, table)
                if not count:
                    continue
                columns = _columns(fresh, table)
                if count == _count(fresh, table) and list(dst.read_table(table, columns)) == list(
                    fresh.read_table(table, columns)
                ):
                    continue  # exactly what crmcli's migrations put in a new database
                raise Conflict(
                    M_n(
                        "{target} is not empty (its table {table} holds {n} row); `db copy` "
                        "only fills an empty database, and changed nothing: give a new file, "
                        "an empty PostgreSQL database, or a crmcli database with nothing in it",
                        "{target} is not empty (its table {table} holds {n} rows); `db copy` "
                        "only fills an empty database, and changed nothing: give a new file, "
                        "an empty PostgreSQL database, or a crmcli database with nothing in it",
                        count,
                        target=self.target,
                        table=table,
                    )
                )
        finally:
            fresh.close()

    def _refuse_what_it_cannot_index(self, dst: Engine) -> None:
        """Every value too long for the destination's indexes, named before anything is
        copied (the server would stop at the first, in its own words)."""
        found = find_too_long(self.src, dst, self.tables)
        if not found:
            return
        shown = "".join(f"\n  {one}" for one in found[:TOO_LONG_SHOWN])
        if len(found) > TOO_LONG_SHOWN:
            shown += "\n  " + M_("and {count} more").format(count=len(found) - TOO_LONG_SHOWN)
        raise DatabaseError(
            M_(
                "{source} holds text longer than {target} can index, so nothing was copied; "
                "shorten it in {source} first (`crmcli --db {source} customers edit …` for a "
                "customer), then copy again:"
            ).format(source=self.source, target=self.target)
            + shown  # a line each: each said in the user's language
        )

    def _copy_table(self, dst: Engine, table: str) -> None:
        columns = _columns(self.src, table)
        theirs = set(_columns(dst, table))
        if set(columns) != theirs:
            raise DatabaseError(
                f"{self.source} and {self.target} differ in table {table}'s columns "
                f"({', '.join(sorted(set(columns) ^ theirs))}); run `crmcli db check` on both"
            )
        rows = self.src.read_table(table, columns)
        try:
            loaded = dst.copy_rows(table, columns, self._counted(rows))
            dst.advance_ids(table)
        except _database_errors() as exc:
            raise DatabaseError(
                f"copying table {table} to {self.target} failed, so nothing was copied: "
                f"{_explain(exc, self.source, self.target)}"
            ) from exc
        finally:
            # Ended here, while its connection is open: left to the garbage collector, a
            # half-read SQLite cursor complains about its closed database on the way out.
            with contextlib.suppress(Exception):
                rows.close()  # type: ignore[attr-defined]
        if loaded != self.expected[table].rows:
            raise DatabaseError(
                M_n(
                    "copying table {table}: {n} row read, {expected} expected; nothing was "
                    "copied to {target}",
                    "copying table {table}: {n} rows read, {expected} expected; nothing was "
                    "copied to {target}",
                    loaded,
                    table=table,
                    expected=self.expected[table].rows,
                    target=self.target,
                )
            )

    def _counted(self, rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in rows:
            yield row
            self.done += 1
            if self.progress is not None and self.done % PROGRESS_EVERY == 0:
                self.progress(self.done, self.total)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _verify(self, dst: Engine) -> None:
        """The destination, before it commits, against the source's snapshot."""
        for table in self.tables:
            want = self.expected[table]
            got = _tally(dst, table)
            if got != want:
                raise DatabaseError(
                    f"after copying, {self.target} does not match {self.source} in table "
                    f"{table} (rows {got.rows} vs {want.rows}, sums {got.sums} vs {want.sums}); "
                    "nothing was copied"
                )
        if isinstance(dst, SqliteEngine):
            _check_search_indexes(dst)


TOO_LONG_SHOWN = 5  # values named in the refusal; the rest counted


def find_too_long(src: Engine, dst: Engine, tables: Sequence[str]) -> list[str]:
    """Each value of `src` too long for an index of `dst`, as `customers id 7: code is
    1,500 characters long (4,500 bytes); at most 1,000 bytes`.

    A value stored before crmcli limited indexed text (`text.MAX_INDEXED_BYTES`), or by
    another tool: SQLite took it, a server's index cannot. Only text longer than any
    value within the limit can be (`text.SURELY_SHORT` characters) is read.
    """
    found: list[str] = []
    for table in tables:
        limited = dst.indexed_text_columns(table)
        if not limited:
            continue
        columns = _columns(src, table)
        key = ["id"] if "id" in columns else [c for c in columns if c.endswith("_id")][:1]
        names = ", ".join(f'"{c}"' for c in [*key, *limited])
        longer = " OR ".join(f'length("{c}") > {text.SURELY_SHORT}' for c in limited)
        for row in src.read_rows(f'SELECT {names} FROM "{table}" WHERE {longer}'):
            where = " ".join([table, *(f"{k} {v}" for k, v in zip(key, row, strict=False))])
            for column, value in zip(limited, row[len(key) :], strict=True):
                size = text.oversize(value) if isinstance(value, str) else None
                if size is not None:
                    found.append(
                        M_(
                            "{row}: {column} is {length} characters long ({size} bytes); "
                            "at most {most} bytes"
                        ).format(
                            row=where,
                            column=column,
                            length=f"{len(value):,}",
                            size=f"{size:,}",
                            most=f"{text.MAX_INDEXED_BYTES:,}",
                        )
                    )
    return found


def _parents_first(engine: Engine, tables: Sequence[str]) -> list[str]:
    """`tables` ordered so that every table comes after those its foreign keys point to."""
    graph = TopologicalSorter({t: engine.parent_tables(t) & set(tables) for t in sorted(tables)})
    try:
        return list(graph.static_order())
    except CycleError as exc:  # crmcli's schema has none; a later migration might
        raise DatabaseError(f"the tables' foreign keys form a cycle: {exc.args[1]}") from exc


def _columns(engine: Engine, table: str) -> list[str]:
    cursor = engine.execute(f'SELECT * FROM "{table}" WHERE 1 = 0')
    return [d[0] for d in cursor.description]


def _count(engine: Engine, table: str) -> int:
    return int(engine.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def _tally(engine: Engine, table: str) -> TableCopy:
    """A table's row count and the sum of each money column, in one scan."""
    money = [c for c in _columns(engine, table) if c.endswith(MONEY_SUFFIX)]
    sums = "".join(f', coalesce(sum("{c}"), 0)' for c in money)
    row = engine.execute(f'SELECT count(*){sums} FROM "{table}"').fetchone()
    return TableCopy(table, int(row[0]), {c: int(v) for c, v in zip(money, row[1:], strict=True)})


def _check_search_indexes(dst: SqliteEngine) -> None:
    """SQLite's FTS5 indexes hold exactly what their content tables say (filled by triggers)."""
    for (name,) in dst.execute(
        "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
    ).fetchall():
        try:
            # rank 1: compare the index with the external content table as well
            dst.execute(f'INSERT INTO "{name}"("{name}", rank) VALUES (\'integrity-check\', 1)')
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"after copying, the search index {name} is wrong: {exc}") from exc


def _database_errors() -> tuple[type[BaseException], ...]:
    # ServerError: psycopg's error as the engine reports it (in SQLite's words).
    errors: list[type[BaseException]] = [sqlite3.Error, postgres.ServerError]
    try:
        import psycopg  # only there when PostgreSQL is in play

        errors.append(psycopg.Error)
    except ImportError:
        pass
    return tuple(errors)


def _explain(exc: BaseException, *databases: Target) -> str:
    """The error's first line, and where in the data PostgreSQL says it was (`COPY …, line`).

    Every password of `databases` is masked in it.
    """
    if isinstance(exc, postgres.ServerError) and exc.__cause__ is not None:
        exc = exc.__cause__  # the server's own words, and where in the data it was
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    context = getattr(getattr(exc, "diag", None), "context", None)
    if context:
        text += f" ({context.strip().splitlines()[0]})"
    if isinstance(exc, _integrity_errors()) and databases:
        text += (
            f"; {databases[0]} holds rows its own keys or checks do not allow "
            f"(see `crmcli --db {databases[0]} db check`)"
        )
    for database in databases:
        if isinstance(database, PostgresUrl):
            text = database.scrub(text)
    return text


def _integrity_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sqlite3.IntegrityError]
    try:
        import psycopg

        errors.append(psycopg.IntegrityError)
    except ImportError:
        pass
    return tuple(errors)
