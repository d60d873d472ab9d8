"""What differs between SQLite and PostgreSQL, behind one small interface.

`open_engine(target, …)` gives an `Engine` for an SQLite path or a PostgreSQL URL;
the rest of crmcli is moving onto it (issue 16) so that its SQL is written once:
`?` placeholders (PostgreSQL's are made from them), transactions that are all or
nothing, an upsert and an insert that returns the new id, a substring match for
search, the append-only guard's error recognised, a backup and an erase that do what
each engine can. Everything else is portable SQL. Until a module is ported it keeps
using the sqlite-utils `Database` that `crmcli.db` opens; `SqliteEngine.db` is that
same object, so ported and unported code share one connection.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from crmcli import db as sqlite_db
from crmcli import migrations, postgres, postgres_schema
from crmcli.db_url import PostgresUrl, Target
from crmcli.errors import DatabaseError
from crmcli.files import Output

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class Engine(ABC):
    """One open database on one engine; SQL is written with `?` placeholders."""

    name: str

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        """Run one statement; a cursor (`fetchone`, `fetchall`, `rowcount`, `description`)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager: its changes are stored together, or none of them; nests."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def tables(self) -> list[str]:
        """crmcli's tables (engine internals such as FTS5 shadow tables left out), by name."""

    @abstractmethod
    def applied_migrations(self) -> list[str]:
        """The migrations this database has run, in the order it ran them."""

    @abstractmethod
    def is_append_only_error(self, exc: BaseException) -> bool:
        """True when `exc` is the append-only guard refusing a change of history."""

    @abstractmethod
    def backup(self, target: Path, *, force: bool = False) -> str:
        """Write a consistent copy to `target`; a sentence saying what kind of copy."""

    @abstractmethod
    def erase(self, tables: Sequence[str]) -> list[str]:
        """Make deleted rows of `tables` unrecoverable as far as this engine can; warnings."""

    @abstractmethod
    def read_snapshot(self) -> Any:
        """A context manager: a read-only transaction, every query in it seeing one moment.

        Writers go on meanwhile (WAL on SQLite, MVCC on PostgreSQL) and are not seen.
        """

    @abstractmethod
    def read_table(self, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """Every row of `table` (those columns), in primary-key order, fetched in batches.

        A table without a primary key comes in the order its rows were stored. Use it
        inside `read_snapshot` (PostgreSQL's batches come from a server-side cursor,
        which lives in a transaction).
        """

    @abstractmethod
    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Bulk-load `rows` into `table` in the caller's transaction; how many were loaded.

        Ids are taken as given: call `advance_ids` after, so new rows get ids after them.
        """

    @abstractmethod
    def bulk_loading(self, tables: Sequence[str]) -> Any:
        """A context manager for filling empty `tables` fast, inside the caller's transaction.

        What costs a bulk load a lookup per row is set aside while the block runs and
        rebuilt once, from the whole data, when it ends well (pg_restore's order):
        secondary indexes on both engines, derived-data triggers (SQLite's FTS5, rebuilt
        after) and foreign keys (PostgreSQL, validated in one pass). Nobody else sees
        the tables meanwhile: the transaction holds them (the write lock on SQLite, the
        dropped indexes' exclusive locks on PostgreSQL). Not for tables others use.
        """

    @abstractmethod
    def advance_ids(self, table: str) -> None:
        """Let `table`'s next generated id come after every id it holds."""

    @abstractmethod
    def parent_tables(self, table: str) -> set[str]:
        """The tables `table`'s foreign keys point to (itself left out)."""

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        """Insert `row`; the new row's id."""
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) RETURNING id'
        return int(self.execute(sql, list(row.values())).fetchone()[0])

    def upsert(self, table: str, row: Mapping[str, Any], *, key: Sequence[str]) -> None:
        """Insert `row`, or update the row with the same `key` columns to its values."""
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        conflict = ", ".join(f'"{k}"' for k in key)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in row if c not in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self.execute(
            f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}',
            list(row.values()),
        )

    def contains(self, column: str) -> str:
        """A condition true when `column` contains the text given as its one parameter.

        Pass the text through `like_pattern`. LIKE rather than instr/strpos: both
        engines can answer it from an index (FTS5 trigram on SQLite, pg_trgm here).
        """
        return f"{column} LIKE ? ESCAPE '\\'"

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's own characters in `text` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def open_engine(target: Target, *, migrate: bool = True) -> Engine:
    """The engine for `--db`'s value: an SQLite file (created if need be) or a server."""
    if isinstance(target, PostgresUrl):
        return PostgresEngine(target, postgres.open_db(target, migrate=migrate))
    return SqliteEngine(sqlite_db.open_db(target, migrate=migrate))


class SqliteEngine(Engine):
    """The embedded default: the sqlite-utils `Database` crmcli has always opened."""

    name = SQLITE

    def __init__(self, db: Any) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.db.conn.executemany(sql, rows)

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        # lastrowid rather than RETURNING, which SQLite has only since 3.35.
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
        return int(self.execute(sql, list(row.values())).lastrowid)

    @contextmanager
    def transaction(self) -> Iterator[SqliteEngine]:
        with sqlite_db.write(self.db):
            yield self

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def read_snapshot(self) -> Iterator[SqliteEngine]:
        # A deferred BEGIN takes no lock; the first read fixes the snapshot (WAL).
        self.execute("BEGIN")
        try:
            yield self
        finally:
            self.execute("ROLLBACK")  # it wrote nothing

    def read_table(self, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        key = [r[1] for r in sorted(self._table_info(table), key=lambda r: r[5]) if r[5]]
        order = ", ".join(f'"{c}"' for c in key) or "rowid"  # no key: as stored
        names = ", ".join(f'"{c}"' for c in columns)
        # sqlite3 steps the statement as it is iterated: rows are never all in memory.
        yield from self.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}')

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0

        def counted() -> Iterator[Sequence[Any]]:
            nonlocal count
            for row in rows:
                count += 1
                # PostgreSQL's numeric: stored as crmcli stores a quantity, a NUMERIC float.
                yield [float(v) if isinstance(v, Decimal) else v for v in row]

        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        # One executemany over a generator: one prepared statement, rows streamed.
        self.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', counted())  # type: ignore[arg-type]
        return count

    @contextmanager
    def bulk_loading(self, tables: Sequence[str]) -> Iterator[SqliteEngine]:
        marks = ", ".join("?" for _ in tables)
        aside = self.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
            f" AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type, name",
            list(tables),
        ).fetchall()  # sql IS NULL: the indexes of PRIMARY KEY and UNIQUE, kept
        for kind, name, _sql in aside:
            self.execute(f'DROP {kind.upper()} "{name}"')
        yield self
        for _kind, _name, sql in aside:
            self.execute(sql)
        # The search indexes their triggers would have filled row by row, built at once.
        for name, sql in self.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
        ).fetchall():
            content = _FTS_CONTENT.search(sql)
            if content and content.group(1) in tables:
                self.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')

    def advance_ids(self, table: str) -> None:
        """Nothing to do: SQLite gives a new row the largest id + 1 by itself."""

    def parent_tables(self, table: str) -> set[str]:
        rows = self.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
        return {r[2] for r in rows} - {table}

    def _table_info(self, table: str) -> list[tuple[Any, ...]]:
        return list(self.execute(f'PRAGMA table_info("{table}")').fetchall())

    def tables(self) -> list[str]:
        virtual = [
            r[0]
            for r in self.execute(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
            ).fetchall()
        ]
        internal = ("_sqlite_", "sqlite_", *virtual)  # FTS5 tables and their shadow tables
        return [t for t in sqlite_db.kind_of(self.db)[1] if not t.startswith(internal)]

    def applied_migrations(self) -> list[str]:
        return migrations.applied_names(self.db)

    def is_append_only_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and _APPEND_ONLY in str(exc)

    def backup(self, target: Path, *, force: bool = False) -> str:
        sqlite_db.backup(self.db, target, force=force)
        return "an SQLite file (SQLite's online backup API)"

    def erase(self, tables: Sequence[str]) -> list[str]:
        """Rebuild the file and empty the WAL, so erased bytes are gone from the disk."""
        warnings: list[str] = []
        self.execute("PRAGMA secure_delete = ON")  # freed pages and cells zeroed from now on
        try:
            self.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            warnings.append(f"could not compact the database ({exc})")
        busy, _log, _done = self.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            warnings.append(
                "another process is reading the database, so its write-ahead log still holds "
                "old pages; run the same command again when it is done"
            )
        return warnings


_APPEND_ONLY = "complaint history is append-only"
# An external-content FTS5 table's content table: `content='customers'` in its SQL.
_FTS_CONTENT = re.compile(r"\bcontent\s*=\s*['\"]?(\w+)")


class PostgresEngine(Engine):
    """A database on a PostgreSQL server, through psycopg 3."""

    name = POSTGRESQL

    def __init__(self, url: PostgresUrl, conn: Any) -> None:
        self.url = url
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        return self._guard(lambda: self.conn.execute(to_pyformat(sql), params or None))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        def run() -> None:
            with self.conn.cursor() as cursor:
                cursor.executemany(to_pyformat(sql), rows)

        self._guard(run)

    @contextmanager
    def transaction(self) -> Iterator[PostgresEngine]:
        # psycopg makes a nested block a savepoint, as `crmcli.db.write` does on SQLite.
        with self.conn.transaction():
            yield self

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def read_snapshot(self) -> Iterator[PostgresEngine]:
        with self.conn.transaction(force_rollback=True):
            self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield self

    def read_table(self, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        key = self.execute(
            "SELECT a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = ?::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)",
            [_quoted(table)],
        ).fetchall()
        order = ", ".join(_quoted(r[0]) for r in key) or "ctid"  # no key: as stored
        names = ", ".join(_quoted(c) for c in columns)
        # A server-side cursor: a million rows come over in batches, not all at once.
        with self.conn.cursor(name=f"crmcli_read_{table}") as cursor:
            cursor.itersize = READ_BATCH
            cursor.execute(f"SELECT {names} FROM {_quoted(table)} ORDER BY {order}")
            yield from cursor

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        names = ", ".join(_quoted(c) for c in columns)
        sql = f"COPY {_quoted(table)} ({names}) FROM STDIN"

        def run() -> None:
            nonlocal count
            with self.conn.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1

        self._guard(run)
        return count

    @contextmanager
    def bulk_loading(self, tables: Sequence[str]) -> Iterator[PostgresEngine]:
        aside: list[tuple[str, str]] = []  # (drop, create), in the order they were read
        for table in tables:
            keys = self.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = ?::regclass AND contype = 'f' ORDER BY conname",
                [_quoted(table)],
            ).fetchall()
            for name, definition in keys:
                aside.append(
                    (
                        f"ALTER TABLE {_quoted(table)} DROP CONSTRAINT {_quoted(name)}",
                        f"ALTER TABLE {_quoted(table)} ADD CONSTRAINT {_quoted(name)} {definition}",
                    )
                )
        for table in tables:
            # Indexes no constraint stands on (a primary key's, a UNIQUE's, one a foreign
            # key points to stay).
            indexes = self.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ?::regclass"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
                " ORDER BY c.relname",
                [_quoted(table)],
            ).fetchall()
            aside += [(f"DROP INDEX {_quoted(name)}", create) for name, create in indexes]
        for drop, _create in aside:
            self.execute(drop)
        yield self
        # Indexes before foreign keys: each key's check then runs as one join.
        for _drop, create in sorted(aside, key=lambda pair: pair[1].startswith("ALTER")):
            self.execute(create)

    def advance_ids(self, table: str) -> None:
        for (column,) in self.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass"
            " AND attidentity <> '' AND NOT attisdropped",
            [_quoted(table)],
        ).fetchall():
            # is_called false: the next id handed out is exactly max + 1 (1 when empty).
            self.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max({_quoted(column)}), 0)"
                f" + 1, false) FROM {_quoted(table)}",
                [_quoted(table), column],
            )

    def parent_tables(self, table: str) -> set[str]:
        rows = self.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint"
            " WHERE conrelid = ?::regclass AND contype = 'f'",
            [_quoted(table)],
        ).fetchall()
        return {r[0].strip('"') for r in rows} - {table}

    def tables(self) -> list[str]:
        marker = postgres_schema.MARKER
        return [t for t in postgres_schema.user_tables(self.conn) if t != marker]

    def applied_migrations(self) -> list[str]:
        return postgres_schema.applied_names(self.conn)

    def is_append_only_error(self, exc: BaseException) -> bool:
        errors = postgres.psycopg_module().errors
        return isinstance(exc, errors.RestrictViolation) and _APPEND_ONLY in str(exc)

    def backup(self, target: Path, *, force: bool = False) -> str:
        """`pg_dump`'s custom format (restore with `pg_restore`), when pg_dump is installed."""
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise DatabaseError(
                f"{self.url}: backing up a PostgreSQL database needs pg_dump (Debian: "
                "apt-get install postgresql-client), or use the server's own backups"
            )
        out = Output(target, force=force, database=True, what="backup")
        out.open()
        assert out.tmp_path is not None
        conninfo, env = self._conninfo_without_password()
        try:
            done = subprocess.run(
                [pg_dump, "--format=custom", f"--file={out.tmp_path}", f"--dbname={conninfo}"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
                raise DatabaseError(f"{self.url}: pg_dump failed: {self.url.scrub(lines[0])}")
        except BaseException:
            out.discard()
            raise
        out.commit()
        return "a pg_dump archive (restore with pg_restore)"

    def _conninfo_without_password(self) -> tuple[str, dict[str, str]]:
        # A password on pg_dump's command line would show in `ps`: it goes by the
        # environment instead, as PGPASSWORD.
        conninfo = postgres.psycopg_module().conninfo
        params = conninfo.conninfo_to_dict(self.url.conninfo)
        env = dict(os.environ)
        password = params.pop("password", None)
        if password is not None:
            env["PGPASSWORD"] = str(password)
        return conninfo.make_conninfo(**params), env

    def erase(self, tables: Sequence[str]) -> list[str]:
        # VACUUM cannot run inside a transaction block: autocommit, one table at a time.
        for table in tables:
            self.execute(f'VACUUM "{table}"')
        return [
            "on a PostgreSQL server, erased rows may survive for a while in the write-ahead "
            "log, in replicas and in backups, until the server recycles them"
        ]

    def _guard(self, run: Any) -> Any:
        psycopg = postgres.psycopg_module()
        try:
            return run()
        except psycopg.errors.RestrictViolation:
            raise  # the append-only guard: the caller knows it (`is_append_only_error`)
        except psycopg.OperationalError as exc:  # the server went away, a timeout
            raise DatabaseError(postgres.explain(self.url, exc)) from exc


READ_BATCH = 10_000  # rows per round trip when a table is read whole


def _quoted(name: str) -> str:
    """An identifier quoted for SQL ("window" is a keyword in PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def to_pyformat(sql: str) -> str:
    """SQLite-style SQL for psycopg: `?` → `%s`, `:name` → `%(name)s`, a literal `%` → `%%`.

    Quoted text ('…', "…") and PostgreSQL's `::type` casts are left as they are.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = sql.find(ch, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == ch:  # '' inside '…'
                end = sql.find(ch, end + 2)
            end = n - 1 if end == -1 else end
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
            continue
        if ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        elif ch == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 1
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(f"%({sql[i + 1 : j]})s")
            i = j
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)
