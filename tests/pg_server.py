"""The PostgreSQL server the tests may use, and a fresh database on it per test.

`CRMCLI_TEST_PG` names a server database whose user may create databases (`.ci/postgres`
starts a throwaway server and sets it). Without it, PostgreSQL tests are skipped on a
developer's machine (one line says so at the end of the run); under `CI=true` they fail:
CI must never pass by skipping them.

Two kinds of database: `database()`, new and empty (tests of migrating, adopting,
connecting), and `Pool.fresh()`, crmcli's migrated schema with only its seeded rows, the
PostgreSQL twin of a test's new SQLite file. A pooled database is made once per run and
emptied before each test: DELETE of every table plus identities restarted took 8 ms
here, where CREATE DATABASE … TEMPLATE took 220 ms and a schema per test 170 ms (see
/work/notes/pgtests.md); over ~2,000 tests that is 15 s instead of 7 minutes.
"""

from __future__ import annotations

import graphlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

ENV_VAR = "CRMCLI_TEST_PG"
HOW = "run the suite under `.ci/postgres` (a throwaway server) or set CRMCLI_TEST_PG"


class Server:
    """The server named by CRMCLI_TEST_PG: creates and drops databases on it."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def url_of(self, database: str) -> str:
        """The admin URL with another database name (a URL stays a URL, for the CLI)."""
        if self.admin_url.startswith(("postgresql://", "postgres://")):
            # Built by hand: urlunsplit drops the `//` of an empty host (`postgresql:///db`).
            parts = urlsplit(self.admin_url)
            query = f"?{parts.query}" if parts.query else ""
            return f"{parts.scheme}://{parts.netloc}/{database}{query}"
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.admin_url, dbname=database)

    def admin(self):  # -> psycopg.Connection
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    @contextmanager
    def database(self, *, icu_locale: str | None = None) -> Iterator[str]:
        """A new, empty database for one test, dropped afterwards: its URL.

        `icu_locale` (`en-US`): its text sorts by that language's rules, as the databases
        of many servers do, rather than the test server's code point order.
        """
        name = f"crmcli_test_{uuid.uuid4().hex[:12]}"
        sorting = ""
        if icu_locale is not None:
            sorting = f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"{sorting}')
        try:
            yield self.url_of(name)
        finally:
            self.drop(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            # FORCE: a test that failed half-way may have left a connection open.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def pool(self) -> Pool:
        """This run's pooled database (made on first use, dropped at the end of the run)."""
        global _pool
        if _pool is None:
            _pool = Pool(self)
        return _pool


class Pool:
    """One migrated database, emptied before each test that uses it.

    Emptying is one transaction: rows of the append-only history go by TRUNCATE with
    its triggers off for that moment (they refuse DELETE and a TRUNCATE that would lose
    history, as they must; m136), every other table by DELETE, children before
    parents; identities restart at 1 and the seeded rows (greeting templates) come back,
    so a test sees exactly what a new SQLite file holds. A test that changed the schema
    itself (a migration test, a dropped index) is noticed by the schema's fingerprint:
    the database is then made again from scratch.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.name = f"crmcli_pool_{uuid.uuid4().hex[:12]}"
        self.url = server.url_of(self.name)
        self._conn: Any = None
        self._make()

    def _make(self) -> None:
        import psycopg

        from crmcli import postgres_schema

        with self.server.admin() as admin:
            # A run killed half-way leaves its pool behind: a live run's pool always has
            # its own connection open, so a pool without one is an orphan.
            for (orphan,) in admin.execute(
                "SELECT datname FROM pg_database d WHERE datname LIKE 'crmcli\\_pool\\_%'"
                " AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
            ).fetchall():
                admin.execute(f'DROP DATABASE IF EXISTS "{orphan}"')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        self._conn = psycopg.connect(self.url, autocommit=True)
        postgres_schema.apply_pending(self._conn)
        self._fingerprint = self._schema()
        self._reset_sql = self._reset_script()

    def _schema(self) -> tuple[Any, ...]:
        """What the schema is: relations, columns, triggers and the migrations recorded."""
        return self._conn.execute(
            "SELECT (SELECT md5(string_agg(c.relname || ':' || c.relkind::text || ':' ||"
            "   coalesce(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ''),"
            "   ',' ORDER BY c.relname, a.attnum))"
            "  FROM pg_class c LEFT JOIN pg_attribute a"
            "   ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            "  WHERE c.relnamespace = 'public'::regnamespace),"
            " (SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger t"
            "  JOIN pg_class c ON c.oid = t.tgrelid"
            "  WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal),"
            " (SELECT string_agg(name, ',' ORDER BY id) FROM _crmcli_migrations)"
        ).fetchone()

    def _reset_script(self) -> str:
        from crmcli import postgres_schema

        conn = self._conn
        tables = [t for t in postgres_schema.user_tables(conn) if t != postgres_schema.MARKER]
        # Children first: a parent's rows can go only once nothing refers to them.
        graph: dict[str, set[str]] = {t: set() for t in tables}
        for child, parent in conn.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        ):
            if child != parent and parent in graph:
                graph[parent].add(child)
        order = list(graph_order(graph))
        guarded = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal"
                " AND t.tgtype & 8 <> 0"  # a row trigger on DELETE: the append-only guard
            )
        }
        statements = []
        for t in (t for t in order if t in guarded):
            statements += [
                f'ALTER TABLE "{t}" DISABLE TRIGGER USER',
                f'TRUNCATE "{t}"',
                f'ALTER TABLE "{t}" ENABLE TRIGGER USER',
            ]
        statements += [f'DELETE FROM "{t}"' for t in order if t not in guarded]
        statements += [
            f"ALTER SEQUENCE {seq} RESTART"
            for (seq,) in conn.execute(
                "SELECT quote_ident(sequencename) FROM pg_sequences"
                " WHERE schemaname = 'public' AND sequencename NOT LIKE '\\_crmcli%'"
            )
        ]
        self._seed = postgres_schema.seeded_rows()
        return ";\n".join(statements)

    def fresh(self) -> str:
        """The pooled database's URL, emptied back to a new database's state."""
        conn = self._conn
        # A connection a test left open (a failed test's) could hold a lock; none may stay.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        if self._schema() != self._fingerprint:
            self.close()
            self._make()
            return self.url
        with conn.transaction():
            conn.execute(self._reset_sql)
            for table, (columns, rows) in self._seed.items():
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                with conn.cursor() as cursor:
                    cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        return self.url

    def close(self) -> None:
        self._conn.close()
        self.server.drop(self.name)


def graph_order(children: dict[str, set[str]]) -> Iterator[str]:
    """Each table after every table that refers to it (`children[t]`: who refers to t)."""
    return iter(graphlib.TopologicalSorter(children).static_order())


_server: Server | None = None
_pool: Pool | None = None
_checked = False
SKIP_REASON = f"no PostgreSQL server: {HOW}"  # the closing line counts the tests it skipped


def server() -> Server:
    """The server, checked once per run; skip (or, under CI, fail) when there is none."""
    global _server, _checked
    admin_url = os.environ.get(ENV_VAR, "")
    if not admin_url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {ENV_VAR} is not set: no PostgreSQL server ({HOW})")
        pytest.skip(SKIP_REASON)
    if not _checked:
        _checked = True
        try:
            import psycopg
        except ImportError:
            pytest.fail(f"{ENV_VAR} is set but psycopg is not installed: pip install -e '.[test]'")
        try:
            psycopg.connect(admin_url, autocommit=True).close()
        except psycopg.Error as exc:
            pytest.fail(f"{ENV_VAR} is set but its server does not answer: {exc}")
        _server = Server(admin_url)
    if _server is None:  # the first check failed: every PostgreSQL test fails the same way
        pytest.fail(f"{ENV_VAR}: the server did not answer (see the first failure)")
    return _server


def close_pool() -> None:
    """Drop this run's pooled database, if one was made (end of the run)."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None
