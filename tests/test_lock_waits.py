"""A command that has to wait for another writer says so once, on stderr, and then goes
on, or gives up after the same time in the same words, on both engines (issue 16).

SQLite's writer waits for the file's write lock; on a server a command waits for the
row another till is changing, a table's id lock (m128) or the tables an import holds.
Either way the clerk sees why the terminal pauses, instead of silence for 120 s.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from crmcli import customers, engines, postgres
from crmcli import db as db_module
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.errors import DatabaseError, busy_too_long

WAITING = "another crmcli process is writing; waiting for it"


def _open(db_path):
    return open_db(parse(str(db_path), source="the test"))


class _Holder(threading.Thread):
    """Another till in the middle of changing customer #1 (SQLite's write lock, the
    server's lock on that row) until `release`, in a thread of its own (an SQLite
    connection stays in the thread that made it)."""

    def __init__(self, db_path, engine: str) -> None:
        super().__init__()
        self.db_path, self.engine = db_path, engine
        self.held, self.released = threading.Event(), threading.Event()

    def run(self) -> None:
        holder = _open(self.db_path)
        try:
            if self.engine == "sqlite":
                holder.execute("BEGIN IMMEDIATE")
            else:
                holder.execute("BEGIN")
                holder.execute("SELECT id FROM customers WHERE id = 1 FOR UPDATE").fetchall()
            self.held.set()
            self.released.wait(30)
            holder.execute("ROLLBACK")
        finally:
            holder.close()

    def __enter__(self) -> _Holder:
        self.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.join(10)


@pytest.fixture
def quick_waits(monkeypatch):
    """The waits of a test's length: said after 0.2 s, given up after 1 s (both engines)."""
    monkeypatch.setattr(engines, "WAIT_SAID_AFTER_S", 0.2)
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 1)
    monkeypatch.setattr(engines, "WRITE_WAIT_SECONDS", 1)
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 50)


def test_a_command_waiting_for_another_till_says_so_once_then_goes_on(
    cli, db_path, engine, quick_waits, monkeypatch
):
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 30)
    monkeypatch.setattr(engines, "WRITE_WAIT_SECONDS", 30)
    cli("customers", "add", "--name", "Kim")
    with _Holder(db_path, engine) as holder:
        threading.Timer(1.5, holder.released.set).start()
        started = time.monotonic()
        result = cli("customers", "tag", "1", "vip")
        waited = time.monotonic() - started
    assert result.stderr.count(f"crmcli: {db_path}: {WAITING}\n") == 1
    assert result.stderr.index(WAITING) < result.stderr.index("1 tag added")
    assert waited >= 1.0  # it did wait for the other till, and went on when it was done
    assert cli("customers", "list", "--fields", "name,tags").stdout == "name,tags\nKim,vip\n"


def test_a_command_that_waited_too_long_is_refused_in_the_same_words_on_both(
    cli, db_path, engine, quick_waits
):
    cli("customers", "add", "--name", "Kim")
    with _Holder(db_path, engine):
        result = cli("customers", "tag", "1", "vip", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count(WAITING) == 1  # once, however long the wait
    assert result.stderr.endswith(f"crmcli: error: {busy_too_long(1)}\n")
    assert busy_too_long(1) == (
        "the database is busy: another crmcli process has been writing for over 1 s; "
        "try again when it is done"
    )
    assert cli("customers", "list", "--fields", "name,tags").stdout == "name,tags\nKim,\n"


# --- on a server: what is waited for, and what is not ---


def test_a_write_waiting_for_a_row_lock_is_told_once_and_a_slow_statement_never(
    pg_url, monkeypatch
):
    monkeypatch.setattr(engines, "WAIT_SAID_AFTER_S", 0.2)
    a, b = _open(pg_url), _open(pg_url)
    try:
        kim = customers.add(a, name="Kim")
        told: list[float] = []
        done = threading.Event()

        def till_b():
            with b.write(on_wait=lambda: told.append(time.monotonic())):
                b.execute("UPDATE customers SET name = 'Lee' WHERE id = ?", [kim])
                b.execute("UPDATE customers SET name = 'Lee' WHERE id = ?", [kim])
            done.set()

        with a.write():
            a.execute("SELECT id FROM customers WHERE id = ? FOR UPDATE", [kim]).fetchall()
            waiting = threading.Thread(target=till_b)
            waiting.start()
            assert not done.wait(1.5)
            assert len(told) == 1  # while A still holds the row
        waiting.join(10)
        assert done.is_set() and len(told) == 1
        assert b.execute("SELECT name FROM customers").fetchall() == [("Lee",)]

        # A statement that is only slow waits for nobody: nothing is said.
        quiet: list[int] = []
        with b.write(on_wait=lambda: quiet.append(1)):
            b.execute("SELECT pg_sleep(0.8)")
        assert quiet == []
    finally:
        a.close()
        b.close()


def test_a_read_waiting_for_an_imports_tables_says_so_once(pg_url, cli, monkeypatch):
    # A server import sets the customers' indexes aside (`bulk_loading`): the table is
    # its own until it commits, so even a list waits; it says why.
    monkeypatch.setattr(engines, "WAIT_SAID_AFTER_S", 0.2)
    cli("--db", pg_url, "customers", "add", "--name", "Kim")
    holder = _open(pg_url)
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
    release = threading.Timer(1.2, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        result = cli("--db", pg_url, "customers", "list", "--fields", "name")
    finally:
        release.join()
        holder.close()
    assert result.stdout == "name\nKim\n"
    assert result.stderr.count(WAITING) == 1


def test_a_write_that_may_not_wait_is_refused_at_once_on_a_server(pg_url):
    a, b = _open(pg_url), _open(pg_url)
    try:
        kim = customers.add(a, name="Kim")
        with a.write():
            a.execute("SELECT id FROM customers WHERE id = ? FOR UPDATE", [kim]).fetchall()
            started = time.monotonic()
            with (
                pytest.raises(DatabaseError, match="^" + postgres.BUSY + "$"),
                b.write(wait=False),
            ):
                b.execute("UPDATE customers SET name = 'Lee' WHERE id = ?", [kim])
            assert (
                time.monotonic() - started < 3
            )  # not the 120 s lock timeout; room for a loaded CI
    finally:
        a.close()
        b.close()


def test_a_first_run_waiting_for_another_ones_migrations_says_so_once(
    cli, db_path, engine, quick_waits, monkeypatch, request
):
    """Another process is migrating (a big shop's upgrade): a command opening the
    database meanwhile says it waits, once, then goes on with the schema up to date."""
    import sqlite3

    from crmcli import migrations, postgres_schema

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 30)
    monkeypatch.setattr(engines, "WRITE_WAIT_SECONDS", 30)
    if engine == "postgresql":
        import psycopg

        where = request.getfixturevalue("pg_url")  # a new database: every migration pending
        holder = psycopg.connect(where)
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [postgres_schema.LOCK_KEY])
        pending = contextlib.nullcontext()
    else:
        where = str(db_path)
        cli("db", "migrate")  # made, migrated
        holder = sqlite3.connect(where, check_same_thread=False, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the other process's migrations, in their write
        pending = migrations.appended("m999_after_the_others", lambda db: None)
    release = threading.Timer(1.5, holder.rollback)
    release.start()
    try:
        with pending:
            result = cli("--db", where, "customers", "add", "--name", "Kim")
            listed = cli("--db", where, "customers", "list", "--fields", "name")
    finally:
        release.join()
        holder.close()
    assert result.stderr.count(f"crmcli: {where}: {WAITING}\n") == 1
    assert listed.stdout == "name\nKim\n" and listed.stderr == ""
