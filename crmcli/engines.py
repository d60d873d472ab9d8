"""What differs between SQLite and PostgreSQL, behind one small interface.

Domain code receives an `Engine` (from `crmcli.db.open_db` / `open_read`, or the
CLI's `Env`) and uses only this surface: `execute` / `executemany` with `?` or
`:name` placeholders (PostgreSQL's are made from them), rows as tuples; `write()`,
the one write transaction (nested: a savepoint); `insert` returning the new id;
`upsert`; `in_transaction`; `Error`, the driver's own failures; `close`. Engine
internals stay here or in `crmcli.db` (SQLite's file handling, PRAGMAs, WAL, the
backup API) and `crmcli.postgres`: a backup and an erase that do what each engine
can, the append-only guard's error recognised, a substring match for search.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from crmcli import migrations, postgres, postgres_schema
from crmcli.db_url import PostgresUrl
from crmcli.errors import DatabaseError, busy_too_long
from crmcli.files import Output, database_family, protect_database
from crmcli.i18n import M_, M_n

T = TypeVar("T")

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# SQLite: a statement waits this long for a lock before SQLite reports "database is
# locked"; `write` waits longer, in a loop, and says so on the way.
BUSY_TIMEOUT_MS = 5_000
WRITE_WAIT_SECONDS = 120.0


class Cursor(Protocol):
    """What `Engine.execute` returns, as domain code may use it (rows are tuples)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...

    def close(self) -> None: ...


class Column(NamedTuple):
    """A column as the schema has it now (later migrations add some)."""

    name: str
    not_null: bool
    default: str | None  # the schema's default, as an SQL expression


class Engine(ABC):
    """One open database on one engine; SQL is written with `?` placeholders."""

    name: str
    # Each statement is a round trip to a server: read a table's few thousand rows in
    # one query rather than one by one as they are needed.
    remote: bool = False
    # A write transaction keeps every other writer out until it ends (SQLite's one writer
    # per file): what it read stays true to its end. On a server others may still
    # update rows it has read (each row locks only when written).
    writes_alone: bool = False
    # Told once when a write has to wait for another writer (an import, a second till):
    # the CLI says so, rather than hang silently. `write(on_wait=…)` overrides it.
    on_wait: Callable[[], None] | None = None

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        """Run one statement; a cursor (`fetchone`, `fetchall`, iteration, `rowcount`,
        `description`) whose rows are tuples."""

    @abstractmethod
    def executemany(self, sql: str, rows: Any) -> Any:
        """Run one statement for each row of parameters (any iterable of sequences)."""

    @abstractmethod
    def write(self, on_wait: Callable[[], None] | None = None, *, wait: bool = True) -> Any:
        """The one write transaction, a context manager: all of it is stored, or none.

        Nested, it is a savepoint of the outer one. While another writer holds the
        lock, wait (calling `on_wait` once); `wait=False` refuses at once instead
        (`DatabaseError`), for a cache that is never worth waiting for.
        """

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """True inside `write()` (or any open transaction)."""

    @property
    @abstractmethod
    def Error(self) -> type[Exception]:
        """The driver's own failure class (`except db.Error`): locked, read-only, full."""

    @abstractmethod
    def close(self) -> None: ...

    def remembered(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`, kept while the database is unchanged: for a read a command repeats
        many times (its settings, the holiday lists, which tables exist). On a server each
        read is a round trip, and `due` asked ~80 of them per run; kept, one each.

        Never older than this engine's own writes, committed or rolled back
        (`_version`), so a setting read after `config set` in one process is the new one.
        """
        version = self._version()
        memo: dict[str, tuple[Any, Any]] = self.__dict__.setdefault("_memo", {})
        kept = memo.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        value = compute()
        memo[key] = (version, value)
        return value

    @abstractmethod
    def _version(self) -> Any:
        """Moves whenever the database may have changed under `remembered`'s values."""

    def references_unchecked(self) -> Any:
        """A context manager: foreign keys not checked statement by statement inside it.

        For a bulk write whose references are right by construction (a run's rows
        naming customers just read, in the same transaction). Where the engine cannot
        switch the checks off cheaply, they stay on: only speed differs.
        """
        return nullcontext()

    @abstractmethod
    def secure_delete(self) -> None:
        """From now on, what is deleted is overwritten, not only unlinked, where the
        engine can (SQLite's `secure_delete`); a server reclaims it in `erase` instead."""

    def set_cache_size(self, kib: int, *, temp: bool = False) -> int:
        """Give this connection's page cache (`temp`: its temporary store's) `kib` KiB;
        the size it had, to give back. A server sizes its own caches: nothing to do."""
        return kib

    @abstractmethod
    def tables(self) -> list[str]:
        """crmcli's tables (engine internals such as FTS5 shadow tables left out), by name."""

    @abstractmethod
    def has_table(self, table: str) -> bool:
        """True when `table` exists (a settings read before the schema is there)."""

    @abstractmethod
    def columns(self, table: str) -> list[Column]:
        """`table`'s columns, in the schema's order."""

    @abstractmethod
    def references(self, table: str) -> list[tuple[str, str]]:
        """`table`'s foreign keys: (its column, the table that column points to)."""

    @abstractmethod
    def unique_keys(self, table: str) -> list[tuple[str, ...]]:
        """The column lists `table` holds unique (primary key, UNIQUE; not partial ones)."""

    def indexed_text_columns(self, table: str) -> list[str]:
        """`table`'s text columns whose values an index entry holds whole, where the
        engine limits an entry's size (`text.MAX_INDEXED_BYTES` keeps them within it).
        SQLite indexes any length: none."""
        return []

    @abstractmethod
    def files(self) -> list[Path]:
        """The files this database is kept in, on this machine (never to be written over)."""

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
    def copy_csv(
        self, table: str, columns: Sequence[str], chunks: Iterable[str], *, delimiter: str = ","
    ) -> None:
        """Load CSV text into `table` (the caller's transaction): `chunks` are whole lines
        holding no quote, each exactly one value per column, every value stored as text
        ('' for an empty one). A line that is not (a blank one, too few or too many
        values) raises `Error`; so does an exception `chunks` raises, as itself.
        """

    @abstractmethod
    def read_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """A query's rows as they come, never all in memory: other statements may run
        while they are read (PostgreSQL: a server-side cursor, so inside `write()` or
        `read_snapshot()`; SQLite: the statement stepped)."""

    @abstractmethod
    def bulk_loading(
        self, tables: Sequence[str], *, indexes: bool = True, keys: bool = False
    ) -> Any:
        """A context manager for filling `tables` fast, inside the caller's transaction.

        What costs a bulk load a lookup per row is set aside while the block runs and
        rebuilt once, from the whole data, when it ends well (pg_restore's order):
        secondary indexes on both engines (`indexes=False`: kept, for a load that reads
        them as it goes), derived-data triggers (SQLite's FTS5, rebuilt after) and
        foreign keys (PostgreSQL, validated in one pass). `keys`: PostgreSQL sets aside
        UNIQUE constraints no foreign key stands on as well, for a caller that keeps its
        rows unique itself (no ON CONFLICT then); SQLite keeps them (its are part of the
        table). A block that fails leaves all of it as it was (the transaction rolls
        back). Nobody else writes the tables meanwhile: the transaction holds them (the
        write lock on SQLite, the dropped indexes' exclusive locks on PostgreSQL, which
        keep readers out too).
        """

    def insert_new(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        fixed: Mapping[str, int | str],
        key: str,
    ) -> int:
        """Insert `rows` (values of `columns`; `fixed` the same for every row), in order,
        leaving out a row whose `key` is already stored; how many were inserted.

        SQLite's way (one prepared statement stepped over the rows) is the fastest
        there. `fixed` is written into the statement rather than bound once per row.
        """
        names = ", ".join([*columns, *fixed])
        marks = ", ".join(["?"] * len(columns) + [_literal(v) for v in fixed.values()])
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT({key}) DO NOTHING"
        return int(self.executemany(sql, rows).rowcount)

    @abstractmethod
    def advance_ids(self, table: str) -> None:
        """Let `table`'s next generated id come after every id it holds."""

    def next_id(self, table: str) -> int:
        """The id `table`'s next new row takes, as SQLite numbers: the highest + 1, kept
        for this write transaction (for code that gives its rows their ids itself)."""
        return int(self.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()[0])

    def parent_tables(self, table: str) -> set[str]:
        """The tables `table`'s foreign keys point to (itself left out)."""
        return {parent for _column, parent in self.references(table)} - {table}

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

    # --- The SQL each engine spells its own way: here, and nowhere else. -------------
    # SQLite's spelling is the default; PostgresEngine gives its own. Functions that
    # only SQLite has (julianday, date(x, 'N days'), group_concat, total…) exist on the
    # server with SQLite's meaning (migration m123) and need no helper. A collation is
    # no such function: the server's can only approximate NOCASE (see `nocase_equal`).

    def json_list(self, expr: str) -> str:
        """An aggregate: the group's values of `expr` as JSON array text ('[]' for none),
        in the order the rows come (an ordered subquery orders them on both engines).

        `DISTINCT expr` gives each engine's own order (PostgreSQL sorts): sort the list
        after, or use `joined_firsts`.
        """
        return f"json_group_array({expr})"

    def joined_firsts(self, expr: str, order: str) -> str:
        """An aggregate: the group's distinct non-NULL values of `expr` joined by commas,
        in the order each first comes by `order` (NULL when there are none).

        SQLite before 3.44 has no ORDER BY inside an aggregate: DISTINCT keeps the order
        the rows arrive in, so the caller reads them in `order` (an index that gives it).
        PostgreSQL's DISTINCT sorts the values instead: it is told the order.
        """
        return f"group_concat(DISTINCT {expr})"

    def json_tuple(self, *exprs: str) -> str:
        """One JSON array of these values, to be gathered by `json_list`."""
        return f"json_array({', '.join(exprs)})"

    def json_values(self, param: str = "?", *, integers: bool = True) -> str:
        """A subquery of the elements of the JSON array passed as `param` (ids when
        `integers`, else text): `WHERE id IN (…)` for more ids than placeholders allow."""
        return f"SELECT value FROM json_each({param})"

    def json_keys(self, column: str, alias: str) -> str:
        """A FROM item `alias` with the `key` and document-order `id` of each member of
        the JSON object in `column` (of a table named before it); none for other text."""
        return f"json_each(CASE WHEN json_valid({column}) THEN {column} END) AS {alias}"

    def has_any_of(self, column: str, ranges: str) -> str:
        """A condition: `column` holds a character of `ranges` (`a-z0-9`, as in `[…]`)."""
        return f"{column} GLOB '*[{ranges}]*'"

    # A write that decides on what it read holds what it read until it ends (issue 16,
    # item 4): a second till then reads it only after, as SQLite's one writer at a time
    # does for the whole file, so no update is lost or applied twice. SQLite needs none
    # of these; a server's are PostgresEngine's.
    locks_rows = ""
    """Appended to a SELECT inside `write()` that reads a row to change or delete it: the
    row stays this transaction's until it ends (another writer reads it only after)."""
    keeps_rows = ""
    """Appended to a SELECT inside `write()` that reads a row the write's new rows will
    point to (a purchase's customer): it cannot go (be deleted, merged away) until the
    write ends, while other tills may still add rows pointing to it and change it."""

    @abstractmethod
    def lock_keys(self, *keys: str) -> None:
        """Inside `write()`, before reading whether a row with one of `keys` exists (a
        code about to be given, an agenda item about to be recorded): a row not there
        yet cannot be locked, so its key is, until the write ends. Name the key with
        what it is unique in (`customers.code:K1`)."""

    @abstractmethod
    def keeps_all(self, table: str) -> None:
        """Inside `write()`, before reading `table` whole to store rows pointing to its
        rows (a tier run's assignments): none of them changes or goes until the write
        ends. Other writers of `table`, and writes that read a row of it to point to
        it, wait; readers do not."""

    @abstractmethod
    def take_turn(self, table: str) -> None:
        """Inside `write()`: wait for the writers adding rows to `table` (an import
        running), and keep new ones waiting until this write ends, as SQLite's write lock
        does: what they add is seen by what this write reads next."""

    def like(self, column: str, pattern: str) -> str:
        """SQLite's `column LIKE pattern ESCAPE '\\'`: ASCII letters match in either case,
        other letters only as written (`pattern`: a parameter, from `like_pattern`)."""
        return f"{column} LIKE {pattern} ESCAPE '\\'"

    def nocase_equal(self, column: str, value: str = "?") -> str:
        """A condition: `column` equals `value` (a parameter) with the letters A-Z folded
        to a-z and every other character as it is: SQLite's NOCASE, the one case-blind
        match crmcli makes (e-mails, tags). `text.nocase` is the same fold in Python.

        Not ICU's or Python's case folding: those also make Σ/σ/ς, İ/i and ß/ss the same
        (a server would then "match" two different e-mails a file keeps apart). An
        index on the column's fold serves it on both engines (m001/m116 on SQLite, m132).
        """
        return f"{column} = {value} COLLATE NOCASE"

    def month_day(self, day: str) -> str:
        """'MM-DD' of an ISO day or '--MM-DD' (SQLite's spelling: its birthday index's)."""
        return f"substr({day}, -5)"

    def plus_days(self, day: str, days: str) -> str:
        """The ISO day (text) `days` (an integer expression, a `?`) after `day` (ISO text)."""
        return f"date({day}, printf('%+d days', {days}))"

    def iso_weekday(self, day: str) -> str:
        """The ISO weekday (1 = Monday … 7 = Sunday) of `day` (ISO text), an integer."""
        return f"((strftime('%w', {day}) + 6) % 7 + 1)"

    def fixed(self, number: str, places: int) -> str:
        """`number` as text with `places` decimals (printf's %.Nf: 12.5 → '12.5')."""
        return f"printf('%.{places}f', {number})"

    @contextmanager
    def together(self) -> Iterator[None]:
        """Statements as one unit without taking the write lock (rows of a TEMP table a
        read command fills): inside a write, a savepoint of it."""
        yield

    def compact_search_indexes(self) -> None:
        """Rewrite the search indexes so deleted words are gone from them (forget)."""
        # FTS5 keeps deleted terms in old segments until they are merged.
        for table in ("customers_fts", "customers_words", "customer_phones_fts"):
            self.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")

    def text_search(self, kind: str, text: str) -> tuple[str, list[Any]]:
        """(SQL, parameters) giving the ids, ascending, of candidates for `text`:

        `substring` (3 letters or more) — customers whose search document holds it;
        `word` (1 or 2 letters) — customers with a word of the document starting with it;
        `digits` (3 or more) — customers with a phone number holding these digits.
        Candidates only: crmcli.search decides what matches.
        """
        quoted = '"' + text.replace('"', '""') + '"'
        if kind == "digits":
            return (
                "SELECT p.customer_id FROM customer_phones_fts f JOIN customer_phones p"
                " ON p.id = f.rowid WHERE customer_phones_fts MATCH ? ORDER BY p.customer_id",
                [quoted],
            )
        table, expr = (
            ("customers_fts", quoted) if kind == "substring" else ("customers_words", quoted + " *")
        )
        return f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", [expr]

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def batched(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`values` in lists of `size` (the last shorter): a statement's parameters, or the
    rows a query looks up at once, stay few on both engines."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's own characters in `text` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqliteEngine(Engine):
    """The embedded default: a raw `sqlite3` connection (autocommit; `write` begins).

    Raw rather than through sqlite-utils: a read command then never imports it (nor
    pluggy, nor dateutil's parser), and each statement is one call into the driver.
    sqlite-utils stays where SQLite's own side needs it: the migrations.
    """

    name = SQLITE
    writes_alone = True

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._savepoints = 0
        self._ends = 0  # write transactions ended (`_version`)
        self.commits = 0  # write transactions committed (`crmcli.db.discard_new`)
        self.created: Any = None  # `crmcli.db.NewFile` when `open_db` made the file
        # The driver's own methods, bound once: a hot loop (an import, `due`) pays no
        # wrapper call per statement.
        self.execute = conn.execute  # type: ignore[method-assign,assignment]
        self.executemany = conn.executemany  # type: ignore[method-assign,assignment]

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def _version(self) -> Any:
        # Rows this connection changed, its write transactions ended (a rollback takes
        # no count back), what other connections committed, and the schema.
        conn = self.conn
        return (
            conn.total_changes,
            self._ends,
            conn.execute("PRAGMA data_version").fetchone()[0],
            conn.execute("PRAGMA schema_version").fetchone()[0],
        )

    def executemany(self, sql: str, rows: Any) -> Any:
        return self.conn.executemany(sql, rows)

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        # lastrowid rather than RETURNING, which SQLite has only since 3.35.
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
        return int(self.conn.execute(sql, list(row.values())).lastrowid or 0)

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @property
    def Error(self) -> type[Exception]:
        return sqlite3.Error

    @contextmanager
    def write(
        self, on_wait: Callable[[], None] | None = None, *, wait: bool = True
    ) -> Iterator[SqliteEngine]:
        """`BEGIN IMMEDIATE`: two processes never interleave their writes, and a
        reader (a cron job) never blocks. Nested: a savepoint."""
        try:
            with self._write(on_wait, wait=wait):
                yield self
        finally:
            self._ends += 1  # committed or rolled back: what `remembered` kept may be gone

    @contextmanager
    def _write(self, on_wait: Callable[[], None] | None, *, wait: bool) -> Iterator[None]:
        conn = self.conn
        if conn.in_transaction:
            with self._savepoint():
                yield
            return
        if not wait:  # not a moment, for the statements inside either
            conn.execute("PRAGMA busy_timeout = 0")
        try:
            self._begin(on_wait or self.on_wait, wait=wait)
            try:
                yield
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
            self.commits += 1
        finally:
            if not wait:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _begin(self, on_wait: Callable[[], None] | None, *, wait: bool) -> None:
        conn = self.conn
        if not wait:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise DatabaseError(explain(exc)) from exc
            return
        deadline = time.monotonic() + WRITE_WAIT_SECONDS
        warned = False
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_locked(exc) or time.monotonic() > deadline:
                    raise DatabaseError(
                        busy_too_long(WRITE_WAIT_SECONDS) if is_locked(exc) else explain(exc)
                    ) from exc
                if not warned and on_wait is not None:
                    on_wait()
                    warned = True

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._savepoints += 1
        name = f"crmcli_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            # An error such as a trigger's RAISE(ROLLBACK) may have ended the whole
            # transaction, savepoint and all: nothing left to undo, and the error stands.
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._savepoints -= 1
        self.conn.execute(f"RELEASE {name}")

    @contextmanager
    def together(self) -> Iterator[None]:
        # A savepoint outside a transaction opens a deferred one: no write lock taken.
        with self._savepoint():
            yield

    def close(self) -> None:
        self.conn.close()

    # `BEGIN IMMEDIATE` lets one writer in at a time: what a write reads stays as it read
    # it until the write ends, keys and whole tables included.
    def lock_keys(self, *keys: str) -> None:
        pass

    def keeps_all(self, table: str) -> None:
        pass

    def take_turn(self, table: str) -> None:
        pass

    @contextmanager
    def references_unchecked(self) -> Iterator[None]:
        # A pragma cannot change inside a transaction: nested in a write, the checks stay.
        conn = self.conn
        if conn.in_transaction or not conn.execute("PRAGMA foreign_keys").fetchone()[0]:
            yield
            return
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

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
                # (A row without one passes as it is: the test costs half the copy's.)
                if Decimal in map(type, row):
                    row = [float(v) if isinstance(v, Decimal) else v for v in row]
                yield row

        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        # One executemany over a generator: one prepared statement, rows streamed.
        self.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', counted())  # type: ignore[arg-type]
        return count

    def copy_csv(
        self, table: str, columns: Sequence[str], chunks: Iterable[str], *, delimiter: str = ","
    ) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)

        def lines() -> Iterator[str]:  # a piece may end inside a line, as COPY allows
            rest = ""
            for chunk in chunks:
                *whole, rest = (rest + chunk).split("\n")
                yield from whole
            if rest:
                yield rest

        # No quotes: a split is the parse.
        rows = (line.removesuffix("\r").split(delimiter) for line in lines())
        # A row of another width fails the statement's bindings: sqlite3.Error, as wanted.
        self.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def read_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        # Its own cursor, stepped as it is read: the connection stays free for others.
        yield from self.conn.cursor().execute(sql, params)

    @contextmanager
    def bulk_loading(
        self, tables: Sequence[str], *, indexes: bool = True, keys: bool = False
    ) -> Iterator[SqliteEngine]:
        marks = ", ".join("?" for _ in tables)
        kinds = "'index', 'trigger'" if indexes else "'trigger'"
        aside = self.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE type IN ({kinds})"
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
                self._fill_search_index(name, content.group(1), sql)

    def _fill_search_index(self, name: str, content: str, sql: str) -> None:
        """FTS5's 'rebuild', with the content read in rowid order.

        'rebuild' reads the content table in whatever order SQLite picks: for
        customer_phones that is the covering index on digits, so FTS5 gets the rows out
        of rowid order and writes a segment for nearly every row (10x the time, 1.4 of
        the 2.6 s of a 100k-customer import's three rebuilds). Fed in rowid order it
        writes each segment once, full; the index is the same (tests check it against
        the content with FTS5's integrity-check).
        """
        key = _FTS_ROWID.search(sql)
        rowid = key.group(1) if key else "rowid"
        columns = ", ".join(f'"{r[1]}"' for r in self.execute(f'PRAGMA table_info("{name}")'))
        self.execute(f'INSERT INTO "{name}"("{name}") VALUES(\'delete-all\')')
        self.execute(
            f'INSERT INTO "{name}"(rowid, {columns})'
            f' SELECT "{rowid}", {columns} FROM "{content}" ORDER BY "{rowid}"'
        )

    def advance_ids(self, table: str) -> None:
        """Nothing to do: SQLite gives a new row the largest id + 1 by itself."""

    def references(self, table: str) -> list[tuple[str, str]]:
        rows = self.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
        return [(r[3], r[2]) for r in rows]

    def unique_keys(self, table: str) -> list[tuple[str, ...]]:
        keys = []
        for _seq, name, unique, _origin, partial in self.execute(
            f'PRAGMA index_list("{table}")'
        ).fetchall():
            if unique and not partial:
                info = self.execute(f'PRAGMA index_info("{name}")').fetchall()
                keys.append(tuple(r[2] for r in sorted(info)))
        return sorted(keys)

    def columns(self, table: str) -> list[Column]:
        return [Column(r[1], bool(r[3]), r[4]) for r in self._table_info(table)]

    def files(self) -> list[Path]:
        out: list[Path] = []
        for _seq, _name, file in self.conn.execute("PRAGMA database_list").fetchall():
            if file:  # '' for an in-memory database
                out.extend(database_family(file))
        return out

    def secure_delete(self) -> None:
        self.conn.execute("PRAGMA secure_delete = ON")

    def set_cache_size(self, kib: int, *, temp: bool = False) -> int:
        schema = "temp." if temp else ""
        size = self.conn.execute(f"PRAGMA {schema}cache_size").fetchone()[0]
        if size > 0:  # in pages, not KiB
            size = -size * self.conn.execute(f"PRAGMA {schema}page_size").fetchone()[0] // 1024
        self.conn.execute(f"PRAGMA {schema}cache_size = {-int(kib)}")  # negative: KiB
        return int(-size)

    def _table_info(self, table: str) -> list[tuple[Any, ...]]:
        return list(self.execute(f'PRAGMA table_info("{table}")').fetchall())

    def tables(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        virtual = tuple(name for name, sql in rows if (sql or "").startswith("CREATE VIRTUAL"))
        internal = ("_sqlite_", "sqlite_", *virtual)  # FTS5 tables and their shadow tables
        return [name for name, _sql in rows if not name.startswith(internal)]

    def has_table(self, table: str) -> bool:
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchone()
        return found is not None

    def applied_migrations(self) -> list[str]:
        return migrations.applied_names(self)

    def is_append_only_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and _APPEND_ONLY in str(exc)

    def backup(self, target: Path, *, force: bool = False) -> str:
        """SQLite's online backup API, into a file put in place whole, 0600.

        The copy is made in a temporary file beside `target` and renamed only when
        complete: a full disk or an interrupt leaves no half copy (and an old file kept).
        """
        out = Output(
            target, protect=protect_database(self), force=force, database=True, what="backup"
        )
        out.open()
        assert out.tmp_path is not None
        try:
            dest = sqlite3.connect(str(out.tmp_path))
            try:
                self.conn.backup(dest)
                # One file, no WAL beside it: a copy that can be moved or mailed as it is.
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
        except BaseException:
            out.discard()
            raise
        out.commit()
        return "an SQLite file (SQLite's online backup API)"

    def erase(self, tables: Sequence[str]) -> list[str]:
        """Rebuild the file and empty the WAL, so erased bytes are gone from the disk."""
        warnings: list[str] = []
        self.execute("PRAGMA secure_delete = ON")  # freed pages and cells zeroed from now on
        try:
            self.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            warnings.append(M_("could not compact the database ({error})").format(error=exc))
        busy, _log, _done = self.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            warnings.append(
                M_(
                    "another process is reading the database, so its write-ahead log still "
                    "holds old pages; run the same command again when it is done"
                )
            )
        return warnings


_APPEND_ONLY = "complaint history is append-only"
# An external-content FTS5 table's content table: `content='customers'` in its SQL.
_FTS_CONTENT = re.compile(r"\bcontent\s*=\s*['\"]?(\w+)")
_FTS_ROWID = re.compile(r"\bcontent_rowid\s*=\s*['\"]?(\w+)")


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def explain(exc: BaseException) -> str:
    """A user-facing sentence for the SQLite failures a user can cause."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        return M_("the database file is read-only; nothing was changed")
    if "disk is full" in low or "database or disk is full" in low:
        return M_("the disk is full; nothing was changed")
    if "disk i/o error" in low:
        return M_(
            "the disk refused the write (full, over a size limit, or failing); nothing was changed"
        )
    if "file is not a database" in low or "malformed" in low:
        return M_("this is not a crmcli database, or it is damaged ({error})").format(error=text)
    if "unable to open" in low:
        return M_("cannot open the database file (check the folder exists and is writable)")
    if is_locked(exc):
        return M_("the database is busy: another crmcli process is writing; try again")
    return text


def pg_dump_program() -> str | None:
    """Where PostgreSQL's `pg_dump` is on PATH, if it is installed."""
    return shutil.which("pg_dump")


# A statement on this session's own temporary tables (an agenda's working set) changes
# nothing `remembered` keeps: no setting, no cached list, no table of the schema.
_ON_TEMP_TABLES = re.compile(
    r"\s*(?:CREATE\s+TEMP(?:ORARY)?\s"
    r"|(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?)\s+(?:pg_)?temp\.)",
    re.IGNORECASE,
)

# A statement that has waited this long for another session's lock (a row a till is
# changing, a table's id lock, an import's tables) is said to wait, once: SQLite's
# writer says so after its first try (`BUSY_TIMEOUT_MS`); a server's wait is seen from
# outside the statement, so it can be said sooner.
WAIT_SAID_AFTER_S = 1.0


class PostgresEngine(Engine):
    """A database on a PostgreSQL server, through psycopg 3."""

    name = POSTGRESQL
    remote = True

    def __init__(self, url: PostgresUrl, conn: Any) -> None:
        self.url = url
        self.conn = conn
        # Moved by each statement but a SELECT and by the end of each write transaction
        # (committed or rolled back). Another session's commit is seen by the next
        # command: one command reads its configuration once.
        self._writes = 0
        self._reads = 0
        # Who is told when a statement waits for another session's lock (`_look_at_wait`):
        # the write's on_wait until told; outside a write, `on_wait` once per command.
        self._waiting: Callable[[], None] | None = None
        self._in_write = False
        self._told_reading = False
        self._since: float | None = None  # when the running statement started
        self._pid = conn.info.backend_pid
        self._side: Any = None  # a second connection that looks at this one's waits
        self._looked = 0.0  # when the server was last asked (`_look_at_wait`)
        self._side_lock = threading.Lock()
        _watch(self)

    def _look_at_wait(self, now: float) -> None:
        """Called by the watcher thread: tell whoever is to be told when the running
        statement has waited `WAIT_SAID_AFTER_S` for a lock another session holds.

        A statement that is only slow (an import's set-based insert) is not waiting:
        the server says which sessions block this one (`pg_blocking_pids`), asked on a
        second connection, since this one is busy running the statement.
        """
        since = self._since
        if since is None or now - since < WAIT_SAID_AFTER_S or self._waiter() is None:
            return
        if now - self._looked < WAIT_SAID_AFTER_S:
            return  # a long statement (an import's COPY) is asked about once a second
        self._looked = now
        if not self._blocked() or self._since != since:
            return
        told = self._waiter(take=True)
        if told is not None:
            told()

    def _waiter(self, *, take: bool = False) -> Callable[[], None] | None:
        if self._in_write:
            told = self._waiting
            if take:
                self._waiting = None  # once per write, however long or often it waits
            return told
        if self._told_reading:
            return None
        if take:
            self._told_reading = True
        return self.on_wait

    def _blocked(self) -> bool:
        with self._side_lock:
            if self._side is False:
                return False
            try:
                if self._side is None:
                    self._side = postgres.connect(self.url, timeout=postgres.LOOKUP_TIMEOUT_S)
                row = self._side.execute(
                    "SELECT cardinality(pg_blocking_pids(%s)) > 0", [self._pid]
                ).fetchone()
            except Exception:  # looking must never fail the command
                self._side = False  # no second connection to be had: nothing more is said
                return False
            return bool(row and row[0])

    def _version(self) -> Any:
        return self._writes

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        cursor = self._guard(lambda: self.conn.execute(for_postgresql(sql), params or None))
        self._after(sql)
        return cursor

    def executemany(self, sql: str, rows: Any) -> Any:
        def run() -> Any:
            cursor = self.conn.cursor()
            cursor.executemany(for_postgresql(sql), rows)
            return cursor

        cursor = self._guard(run)
        self._after(sql)
        return cursor

    def json_list(self, expr: str) -> str:
        return f"coalesce(json_agg({expr})::text, '[]')"

    def joined_firsts(self, expr: str, order: str) -> str:
        # The group's values in `order`, numbered; each kept where it first comes.
        return (
            f"(SELECT string_agg(v, ',' ORDER BY n) FROM (SELECT v, min(n) AS n"
            f" FROM unnest(array_agg(({expr})::text ORDER BY {order})) WITH ORDINALITY AS u(v, n)"
            " WHERE v IS NOT NULL GROUP BY v) AS firsts)"
        )

    def json_tuple(self, *exprs: str) -> str:
        return f"json_build_array({', '.join(exprs)})"

    def json_values(self, param: str = "?", *, integers: bool = True) -> str:
        if integers:
            # A JSON list of numbers, its brackets made braces, is an array literal the
            # planner folds into a constant and counts: one id is an index look-up. It
            # guesses any set-returning JSON function at 100 rows, and for a few ids
            # read the whole table (an import's updated row: 2.6 ms at 5,000 customers).
            array = f"CAST(translate(CAST({param} AS text), '[]', '{{}}') AS bigint[])"
            return f"SELECT value FROM unnest({array}) AS value"
        return f"SELECT value FROM json_array_elements_text(CAST({param} AS json)) AS value"

    def json_keys(self, column: str, alias: str) -> str:
        # SQLite's json_valid() has no twin here: an object is known by its first
        # character (crmcli writes `extra` itself, through json.dumps).
        return (
            f"LATERAL json_each(CASE WHEN left({column}, 1) = '{{' THEN CAST({column} AS json)"
            f" END) WITH ORDINALITY AS {alias}(key, value, id)"
        )

    def has_any_of(self, column: str, ranges: str) -> str:
        return f"{column} ~ '[{ranges}]'"

    # READ COMMITTED: a waiter reads the row as its holder committed it (or no row).
    locks_rows = " FOR UPDATE"
    keeps_rows = " FOR KEY SHARE"  # what a foreign key's check takes: tills add side by side

    def lock_keys(self, *keys: str) -> None:
        # An advisory lock per key's 64-bit hash, held to the end of the transaction, all
        # in one round trip (`due done` of a hundred items). Taken in the hashes' order
        # (a volatile output is computed after ORDER BY), so two writers of the same keys
        # never each hold one the other waits for; two keys sharing a hash only make a
        # writer wait for nothing.
        if keys:
            self.execute(
                "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0)"
                " AS h FROM unnest(CAST(? AS text[])) AS k) AS held ORDER BY h",
                [list(keys)],
            ).fetchall()

    def keeps_all(self, table: str) -> None:
        # A row lock on each of a million customers would write to every page of the
        # table. EXCLUSIVE mode, not SHARE: it also waits for a till that has locked a
        # row to change it but not written yet (and keeps new ones out, a sale's
        # customer check too), where SHARE let the run in, and the run's references
        # then waited for that row while the till's write waited for the run: a
        # deadlock. Readers never wait.
        self.execute(f"LOCK TABLE {_quoted(table)} IN EXCLUSIVE MODE")

    def take_turn(self, table: str) -> None:
        # The table's id lock (m128), which every inserting transaction holds to its end.
        self.next_id(table)

    def like(self, column: str, pattern: str) -> str:
        # PostgreSQL's LIKE tells case apart, its ILIKE folds every script: fold A-Z only.
        return f"crmcli_nocase({column}) LIKE crmcli_nocase({pattern}) ESCAPE '\\'"

    def nocase_equal(self, column: str, value: str = "?") -> str:
        # Both sides through m132's function: its expression indexes serve the column's.
        return f"crmcli_nocase({column}) = crmcli_nocase({value})"

    def month_day(self, day: str) -> str:
        return f"right({day}, 5)"  # substr(x, -5) is not the last five here

    def plus_days(self, day: str, days: str) -> str:
        return f"to_char(CAST({day} AS date) + CAST({days} AS integer), 'YYYY-MM-DD')"

    def iso_weekday(self, day: str) -> str:
        return f"CAST(extract(isodow FROM CAST({day} AS date)) AS integer)"

    def fixed(self, number: str, places: int) -> str:
        # numeric rounds half away from zero, as SQLite's printf does
        return f"CAST(round(CAST({number} AS numeric), {places}) AS text)"

    @contextmanager
    def together(self) -> Iterator[None]:
        # autocommit outside `write()`: a transaction of its own (a savepoint inside one)
        with self._guard(self.conn.transaction):
            yield

    def compact_search_indexes(self) -> None:
        """Nothing to merge: `erase` VACUUMs the tables, their indexes with them."""

    def text_search(self, kind: str, text: str) -> tuple[str, list[Any]]:
        # pg_trgm serves LIKE '%…%' (search document, phone digits); the `simple`
        # text-search index serves a word's start, as FTS5's prefix index does.
        if kind == "digits":
            return (
                "SELECT DISTINCT customer_id FROM customer_phones WHERE digits LIKE ? ESCAPE '\\'"
                " ORDER BY customer_id",
                [like_pattern(text)],
            )
        if kind == "substring":
            return (
                "SELECT id FROM customers WHERE search_key LIKE ? ESCAPE '\\' ORDER BY id",
                [like_pattern(text)],
            )
        return (
            "SELECT id FROM customers WHERE to_tsvector('simple', search_key)"
            " @@ to_tsquery('simple', ?) ORDER BY id",
            ["'" + text.replace("\\", "\\\\").replace("'", "''") + "':*"],
        )

    def _after(self, sql: str) -> None:
        if sql.lstrip()[:6].upper() != "SELECT" and not _ON_TEMP_TABLES.match(sql):
            self._writes += 1
        # Ids given by hand (an undone import, a merge put back): the identity moves
        # past them, as SQLite's next rowid would (`postgres.sync_identity`).
        table = postgres.inserted_ids_table(sql)
        if table is not None:
            self._guard(lambda: postgres.sync_identity(self.conn, table))

    @contextmanager
    def write(
        self, on_wait: Callable[[], None] | None = None, *, wait: bool = True
    ) -> Iterator[PostgresEngine]:
        # psycopg makes a nested block a savepoint, as SqliteEngine does. The server
        # takes its locks as statements run (a row's; a table's id lock at the first
        # insert into it, m128), so nothing is waited for up front: a statement that
        # waits for one is seen waiting by the watcher, which calls `on_wait` once
        # (`_look_at_wait`); after `postgres.LOCK_TIMEOUT_S` the server gives up, and the
        # write is refused in SQLite's words. `wait=False` gives the locks no time. A
        # COMMIT the server refuses (a deadlock, a serialization failure) says so too.
        psycopg = postgres.psycopg_module()
        outermost = not self.in_transaction
        if outermost:
            self._waiting = on_wait or self.on_wait
            self._in_write = True
        try:
            with self.conn.transaction():
                if outermost and not wait:
                    self.execute("SET LOCAL lock_timeout = '1ms'")
                yield self
        except psycopg.Error as exc:
            raise postgres.translate(self.url, exc) from exc
        except postgres.ServerError as exc:
            if outermost and not wait and exc.sqlstate == postgres.LOCK_NOT_AVAILABLE:
                # Given no time at all: busy now, as SQLite's `wait=False` says.
                raise postgres.ServerError(postgres.BUSY, exc.sqlstate) from exc.__cause__
            raise
        finally:
            self._writes += 1
            if outermost:
                self._waiting = None
                self._in_write = False

    @property
    def in_transaction(self) -> bool:
        return bool(
            self.conn.info.transaction_status != postgres.psycopg_module().pq.TransactionStatus.IDLE
        )

    @property
    def Error(self) -> type[Exception]:
        return postgres.ServerError  # psycopg's errors come out as these (`_guard`)

    def close(self) -> None:
        with _watched_lock:
            _watched.discard(self)
        with self._side_lock:
            if self._side:
                self._side.close()
            self._side = False
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

    def copy_csv(
        self, table: str, columns: Sequence[str], chunks: Iterable[str], *, delimiter: str = ","
    ) -> None:
        names = ", ".join(_quoted(c) for c in columns)
        # The server's own CSV parser, as `psql \copy` runs it; FORCE_NOT_NULL: an empty
        # value is '' (as a file read in Python gives it), not NULL.
        sql = (
            f"COPY {_quoted(table)} ({names}) FROM STDIN"
            f" (FORMAT csv, DELIMITER {_literal(delimiter)}, FORCE_NOT_NULL ({names}))"
        )

        def run() -> None:
            with self.conn.cursor() as cursor, cursor.copy(sql) as copy:
                for chunk in chunks:
                    copy.write(chunk)

        self._guard(run)

    def read_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        self._reads += 1  # a name of its own: two may be open at once
        with self.conn.cursor(name=f"crmcli_rows_{self._reads}") as cursor:
            cursor.itersize = READ_BATCH
            self._guard(lambda: cursor.execute(for_postgresql(sql), list(params)))
            yield from cursor

    def insert_new(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        fixed: Mapping[str, int | str],
        key: str,
    ) -> int:
        # A server's way (issue 16 item 5): the rows go over with COPY into a staging
        # table of the caller's transaction, then into `table` in one set-based INSERT,
        # rather than a statement (a round trip) per row. `n` keeps the file's order,
        # so ids come out as on SQLite; a row left out (its key stored, or repeated in
        # the batch) is left out before the numbering, since an identity would count it.
        stage = _quoted(f"crmcli_stage_{table}")
        names = ", ".join(_quoted(c) for c in columns)
        if self.execute("SELECT to_regclass(?)", [f"pg_temp.{stage}"]).fetchone()[0] is None:
            self.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS"
                f" SELECT {names} FROM {_quoted(table)} WITH NO DATA"
            )
            self.execute(f"ALTER TABLE {stage} ADD COLUMN n bigserial")
        else:
            self.execute(f"TRUNCATE {stage}")
        self.copy_rows(f"crmcli_stage_{table}", columns, rows)
        extra = ", ".join(_quoted(c) for c in fixed)
        marks = ", ".join("?" for _ in fixed)
        return int(
            self.execute(
                f"INSERT INTO {_quoted(table)} ({names}, {extra}) SELECT {names}, {marks}"
                f" FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {_quoted(table)} t"
                f" WHERE t.{_quoted(key)} = s.{_quoted(key)}) AND NOT EXISTS (SELECT 1"
                f" FROM {stage} e WHERE e.{_quoted(key)} = s.{_quoted(key)} AND e.n < s.n)"
                f" ORDER BY n ON CONFLICT ({_quoted(key)}) DO NOTHING",
                list(fixed.values()),
            ).rowcount
        )

    @contextmanager
    def bulk_loading(
        self, tables: Sequence[str], *, indexes: bool = True, keys: bool = False
    ) -> Iterator[PostgresEngine]:
        aside: list[tuple[str, str]] = []  # (drop, create), in the order they were read
        if not indexes:  # the server keeps its search indexes itself: nothing else to set aside
            yield self
            return
        # Unique keys before foreign keys (built after them, so before them in `aside`).
        kinds = "'u', 'f'" if keys else "'f'"
        for table in tables:
            constraints = self.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c"
                f" WHERE conrelid = ?::regclass AND contype IN ({kinds}) AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid"
                " AND c.contype = 'u') ORDER BY contype DESC, conname",
                [_quoted(table)],
            ).fetchall()
            for name, definition in constraints:
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
        # Indexes, then unique keys, then foreign keys: each key's check then runs as one join.
        for _drop, create in sorted(aside, key=lambda pair: pair[1].startswith("ALTER")):
            self.execute(create)
        # The planner's figures for the tables as they now are (pg_restore's advice): until
        # autovacuum comes round, the next queries are planned for the tables as they were
        # (a plan for an empty table, over a million rows).
        for table in tables:
            self.execute(f"ANALYZE {_quoted(table)}")

    def next_id(self, table: str) -> int:
        # Under the table's id lock (m128), held to the end of the transaction: no other
        # writer can take the number before this one's rows are written.
        return int(
            self.execute("SELECT crmcli_next_id(?::regclass)", [_quoted(table)]).fetchone()[0]
        )

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

    def references(self, table: str) -> list[tuple[str, str]]:
        rows = self.execute(
            "SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
            " WHERE c.conrelid = ?::regclass AND c.contype = 'f' ORDER BY c.oid, a.attnum",
            [_quoted(table)],
        ).fetchall()
        return [(column, parent.strip('"')) for column, parent in rows]

    def unique_keys(self, table: str) -> list[tuple[str, ...]]:
        rows = self.execute(
            "SELECT i.indexrelid, a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = ?::regclass AND i.indisunique AND i.indpred IS NULL"
            " ORDER BY i.indexrelid, array_position(i.indkey, a.attnum)",
            [_quoted(table)],
        ).fetchall()
        keys: dict[Any, list[str]] = {}
        for index, column in rows:
            keys.setdefault(index, []).append(column)
        return sorted(tuple(k) for k in keys.values())

    def indexed_text_columns(self, table: str) -> list[str]:
        # A btree entry holds at most 2,704 bytes (after compression). The column may be
        # an index's own (indkey: a key, UNIQUE) or inside its expression (pg_depend:
        # `crmcli_nocase(email)`).
        rows = self.execute(
            "SELECT DISTINCT a.attname FROM pg_index i"
            " JOIN pg_class ic ON ic.oid = i.indexrelid"
            " JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0"
            " WHERE i.indrelid = ?::regclass"
            " AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)"
            " AND (a.attnum = ANY(i.indkey) OR EXISTS (SELECT 1 FROM pg_depend d"
            " WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid"
            " AND d.refobjid = i.indrelid AND d.refobjsubid = a.attnum))"
            " ORDER BY 1",
            [_quoted(table)],
        ).fetchall()
        return [name for (name,) in rows]

    def columns(self, table: str) -> list[Column]:
        rows = self.execute(
            "SELECT a.attname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY a.attnum",
            [_quoted(table)],
        ).fetchall()
        return [Column(name, bool(not_null), default) for name, not_null, default in rows]

    def files(self) -> list[Path]:
        return []  # on the server, out of crmcli's reach

    def secure_delete(self) -> None:
        """Nothing to switch on: `erase` VACUUMs the tables after the deletes."""

    def tables(self) -> list[str]:
        marker = postgres_schema.MARKER
        return [t for t in postgres_schema.user_tables(self.conn) if t != marker]

    def has_table(self, table: str) -> bool:
        return table in self.remembered(
            "tables", lambda: frozenset(postgres_schema.user_tables(self.conn))
        )

    def applied_migrations(self) -> list[str]:
        return postgres_schema.applied_names(self.conn)

    def is_append_only_error(self, exc: BaseException) -> bool:
        return isinstance(exc, postgres.ServerError) and str(exc) == _APPEND_ONLY

    def backup(self, target: Path, *, force: bool = False) -> str:
        """`pg_dump`'s custom format (restore with `pg_restore`), when pg_dump is installed."""
        pg_dump = pg_dump_program()
        if pg_dump is None:
            raise DatabaseError(
                M_(
                    "{database}: a pg_dump archive needs pg_dump (Debian: apt-get install "
                    "postgresql-client); without it, `db backup FILE --as sqlite` makes an "
                    "SQLite file, or use the server's own backups"
                ).format(database=self.url)
            )
        out = Output(target, force=force, database=True, what="backup")
        out.open()
        assert out.tmp_path is not None
        try:
            with self._pg_dump_connection() as (dbname, env):
                done = subprocess.run(
                    [pg_dump, "--format=custom", f"--file={out.tmp_path}", f"--dbname={dbname}"],
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

    @contextmanager
    def _pg_dump_connection(self) -> Iterator[tuple[str, dict[str, str]]]:
        """pg_dump's `--dbname` and environment, with no secret on its command line, which
        `ps` shows to every user of the machine: the password goes as PGPASSWORD (a
        process's environment is its user's to read), a client key's passphrase
        (`sslpassword`, which libpq reads from no variable) in a service file of its own,
        in a private folder removed once pg_dump is done."""
        conninfo = postgres.psycopg_module().conninfo
        params = conninfo.conninfo_to_dict(self.url.conninfo)
        env = dict(os.environ)
        password = params.pop("password", None)
        if password is not None:
            env["PGPASSWORD"] = str(password)
        if "sslpassword" not in params or "service" in params:  # a service names its own
            yield conninfo.make_conninfo(**params), env
            return
        import tempfile

        with tempfile.TemporaryDirectory(prefix="crmcli-pg_dump-") as folder:  # 0700
            services = Path(folder) / "pg_service.conf"
            lines = "".join(f"{key}={value}\n" for key, value in params.items())
            services.write_text(f"[crmcli]\n{lines}", encoding="utf-8")
            env["PGSERVICEFILE"] = str(services)
            yield "service=crmcli", env

    def erase(self, tables: Sequence[str]) -> list[str]:
        # VACUUM cannot run inside a transaction block: autocommit, one table at a time.
        # Plain VACUUM (not FULL: that would lock every till out of the tables while it
        # rewrites them) removes the dead rows from the pages; what it cannot reach is said.
        # INDEX_CLEANUP ON: VACUUM may otherwise skip the indexes when few rows died, and
        # the search indexes would keep the erased words, pointing at the dead row.
        # ANALYZE: the planner's statistics (pg_stats, readable by whoever may read the
        # table) sample column values: the person's name, e-mail and search words stay
        # there as "most common values" and histogram bounds until a new sample is taken.
        for table in tables:
            self.execute(f'VACUUM (INDEX_CLEANUP ON, ANALYZE) "{table}"')
        # The replaced statistics are dead rows of pg_statistic: a superuser or the
        # database's owner may VACUUM it; for anyone else the server skips it (a notice).
        self.execute("VACUUM pg_statistic")
        warnings = []
        # A role that does not own a table (a till's own role, granted the rows only) has
        # its VACUUM and ANALYZE of it skipped, with a notice no one sees: say so, or the
        # warning below reads as if they had run.
        maintain = ""
        if self.conn.info.server_version >= 170000:  # a privilege of its own since 17
            maintain = " AND NOT has_table_privilege(c.oid, 'MAINTAIN')"
        skipped = [
            row[0]
            for row in self.execute(
                "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(?)"
                " AND c.relnamespace = CAST(current_schema() AS regnamespace)"
                " AND NOT pg_has_role(c.relowner, 'USAGE') AND NOT pg_has_role("
                "(SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')"
                f"{maintain} ORDER BY c.relname",
                [list(tables)],
            ).fetchall()
        ]
        if skipped:
            warnings.append(
                M_n(
                    "this role may not VACUUM or ANALYZE table {tables} (only its owner may), "
                    "so the erased rows stay in it until the server's autovacuum removes "
                    "them, and its statistics may still show the person's values; run "
                    "forget again as the owner of crmcli's tables",
                    "this role may not VACUUM or ANALYZE tables {tables} (only their owner "
                    "may), so the erased rows stay in them until the server's autovacuum "
                    "removes them, and their statistics may still show the person's values; "
                    "run forget again as the owner of crmcli's tables",
                    len(skipped),
                    tables=", ".join(skipped),
                )
            )
        # A dead row another session may still see (an open snapshot: a long report, a
        # transaction left open, a prepared one) stays until that ends: SQLite's reader
        # holding old pages. Once it ends, a second `forget` VACUUMs again.
        held = self.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL)"
            " + (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())"
        ).fetchone()[0]
        if held:
            warnings.append(
                M_n(
                    "{n} other session on the server still sees the database as it was "
                    "before, so VACUUM could not remove every erased row yet; run forget again "
                    "once it has finished",
                    "{n} other sessions on the server still see the database as it was "
                    "before, so VACUUM could not remove every erased row yet; run forget again "
                    "once they have finished",
                    held,
                )
            )
        warnings.append(
            M_(
                "on a PostgreSQL server, the erased rows' old bytes may survive for a while in "
                "the tables' free space and the write-ahead log (until the server reuses "
                "them), and in replicas and backups (until they are replaced)"
            )
        )
        return warnings

    def _guard(self, run: Any) -> Any:
        """psycopg's errors as `postgres.ServerError`, in SQLite's words for the same failure."""
        psycopg = postgres.psycopg_module()
        self._since = time.monotonic()  # for the watcher: how long this one has run
        try:
            return run()
        except psycopg.Error as exc:
            raise postgres.translate(self.url, exc) from exc
        finally:
            self._since = None


# One thread per process watches the open server databases' running statements
# (`PostgresEngine._look_at_wait`); engines are held weakly, so one never closed still
# goes with its connection.
_watched: weakref.WeakSet[PostgresEngine] = weakref.WeakSet()
_watched_lock = threading.Lock()
_watcher: list[threading.Thread] = []


def _watch(engine: PostgresEngine) -> None:
    with _watched_lock:
        _watched.add(engine)
        if not (_watcher and _watcher[0].is_alive()):
            _watcher[:] = [threading.Thread(target=_watch_waits, name="crmcli-waits", daemon=True)]
            _watcher[0].start()


def _watch_waits() -> None:
    while True:
        time.sleep(WAIT_SAID_AFTER_S / 4)
        _look_at_waits()


def _look_at_waits() -> None:
    # A function of its own: the engines it holds are let go before the next sleep.
    with _watched_lock:
        engines = list(_watched)
    now = time.monotonic()
    for engine in engines:
        engine._look_at_wait(now)


READ_BATCH = 10_000  # rows per round trip when a table is read whole


def _literal(value: int | str) -> str:
    """A number or text as an SQL literal."""
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    """An identifier quoted for SQL ("window" is a keyword in PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


# SQLite's spellings PostgreSQL reads otherwise, for the same meaning: planner hints
# and storage it has no use for (INDEXED BY, NOT INDEXED, WITHOUT ROWID); `temp.` (its
# `pg_temp.`); `x IS value` (SQLite's IS NOT DISTINCT FROM; PostgreSQL's IS takes only
# NULL, TRUE, FALSE); INSERT OR IGNORE (of a duplicate: ON CONFLICT DO NOTHING).
_INDEXED_BY = re.compile(
    r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED|WITHOUT\s+ROWID)\b", re.IGNORECASE
)
_IS_VALUE = re.compile(r"\bIS(\s+NOT)?\s+(?=[?']|:\w)", re.IGNORECASE)  # a parameter, a literal
_TEMP_SCHEMA = re.compile(
    r"(?<!['\w.])temp\.(?=\w)", re.IGNORECASE
)  # SQLite's schema of TEMP tables
_OR_IGNORE = re.compile(r"^(\s*INSERT)\s+OR\s+IGNORE\b", re.IGNORECASE)
# SQLite's `CROSS JOIN t [alias] ON …` (an inner join whose order the planner keeps):
# PostgreSQL's CROSS JOIN takes no ON, its JOIN is the same inner join.
_CROSS_JOIN_ON = re.compile(
    r"\bCROSS\s+JOIN(\s+\w+(?:\s+(?:AS\s+)?(?!ON\b)\w+)?\s+ON\b)", re.IGNORECASE
)
# A table made at run time (the agenda's TEMP table): its TEXT columns compare by code
# point, as SQLite's do and crmcli's own tables' do on a server (migration m126), not
# by the database's collation.
_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.]+\s*\(",
    re.IGNORECASE,
)  # with its columns listed: not `CREATE TABLE … AS SELECT`, whose columns keep theirs
_TEXT_COLUMN = re.compile(r"(\w+\s+TEXT)\b(?!\s+COLLATE)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def for_postgresql(sql: str) -> str:
    """crmcli's SQL (SQLite's dialect where the two agree) as psycopg runs it on the
    server: the few spellings above rewritten, then `to_pyformat`'s placeholders."""
    sql = _INDEXED_BY.sub("", sql)
    sql = _TEMP_SCHEMA.sub("pg_temp.", sql)
    sql = _CROSS_JOIN_ON.sub(r"JOIN\1", sql)
    sql = _IS_VALUE.sub(
        lambda m: "IS DISTINCT FROM " if m.group(1) else "IS NOT DISTINCT FROM ", sql
    )
    if _OR_IGNORE.match(sql):
        sql = _OR_IGNORE.sub(r"\1", sql).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    if _CREATE_TABLE.match(sql):
        sql = _TEXT_COLUMN.sub(r'\1 COLLATE "C"', sql)
    return to_pyformat(sql)


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
