"""The database: location, permissions, migrations, check and backup."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from crmcli import customers, engines
from crmcli import db as db_module
from crmcli.db import check, open_db, resolve_db_path
from crmcli.errors import Conflict, DatabaseError, NoDatabase, NotADatabase
from crmcli.files import UnsafeOutput
from crmcli.migrations import applied_names, names


def test_location_order(tmp_path):
    env = {"CRMCLI_DB": str(tmp_path / "env.db")}
    assert resolve_db_path("given.db", env) == Path("given.db")
    assert resolve_db_path(None, env) == tmp_path / "env.db"
    fallback = resolve_db_path(None, {})
    assert fallback.name == "crmcli.db" and "crmcli" in str(fallback.parent)
    assert not fallback.exists()  # resolving creates nothing


def test_a_database_named_by_a_string_is_opened_as_db_names_it(
    db_url, engine, tmp_path, monkeypatch
):
    """`open_db("postgresql://…")` is the server's database, never a file made under that
    name (what issue 16 found the command line doing); a path string is the file."""
    monkeypatch.chdir(tmp_path)
    for opener in (open_db, db_module.open_read):
        db = opener(str(db_url))
        try:
            assert db.name == engine
            assert db.execute("SELECT count(*) FROM customers").fetchone() == (0,)
        finally:
            db.close()
    assert not (tmp_path / "postgresql:").exists()
    assert Path(db_url).exists() == (engine == "sqlite")


def test_new_database_and_folder_are_private(tmp_path):
    path = tmp_path / "new" / "shop.db"
    db = open_db(path)
    customers.add(db, name="A")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    wal = Path(f"{path}-wal")
    assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_pragmas(tmp_path):
    db = open_db(tmp_path / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_migrations_are_recorded_and_run_once(tmp_path):
    path = tmp_path / "x.db"
    open_db(path).close()
    db = open_db(path)
    assert applied_names(db) == names()


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "x.db"
    db = open_db(path)
    db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('crmcli', 'm999_future', 'x')"
    )
    db.close()
    with pytest.raises(DatabaseError, match="newer crmcli"):
        open_db(path)


def test_write_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError), db.write():
        customers.add(db, name="A")
        raise RuntimeError("boom")
    assert customers.count(db) == 0


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a crmcli database"):
        open_db(path)


def test_check_and_backup(tmp_path):
    db = open_db(tmp_path / "x.db")
    customers.add(db, name="김민준")
    assert check(db) == []
    target = tmp_path / "copy.db"
    db.backup(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT name FROM customers").fetchall() == [("김민준",)]


def test_check_reports_foreign_key_problems(tmp_path):
    db = open_db(tmp_path / "x.db")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute(
        "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
        " VALUES (99, '2026-01-01', 1, 'x')"
    )
    assert any("purchases" in p for p in check(db))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
def test_read_only_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "x.db"
    open_db(path).close()
    path.chmod(0o400)
    db = open_db(path)
    with pytest.raises((DatabaseError, sqlite3.OperationalError)):
        customers.add(db, name="A")


# --- more of the core: explaining failures, nested writes, waiting, files that are not ours


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("attempt to write a readonly database", "read-only; nothing was changed"),
        ("database or disk is full", "the disk is full; nothing was changed"),
        ("disk I/O error", "the disk refused the write"),
        ("file is not a database", "not a crmcli database, or it is damaged (file is not"),
        ("database disk image is malformed", "or it is damaged"),
        ("unable to open database file", "check the folder exists and is writable"),
        ("database is locked", "another crmcli process is writing; try again"),
        ("no such table: x", "no such table: x"),  # anything else, as SQLite said it
    ],
)
def test_sqlite_failures_are_explained_in_a_sentence(error, said):
    assert said in db_module.explain(sqlite3.OperationalError(error))


def test_nested_writes_are_savepoints_of_the_outer_one(db):
    with db.write():
        customers.add(db, name="Outer")
        with pytest.raises(RuntimeError), db.write():
            customers.add(db, name="Inner")
            raise RuntimeError("inner fails")
        # The inner part is undone, the outer goes on.
        assert customers.count(db) == 1
    assert [r["name"] for r in customers.rows(db)] == ["Outer"]


def test_a_busy_database_is_waited_for_then_refused_with_a_sentence(tmp_path, monkeypatch):
    path = tmp_path / "x.db"
    holder = open_db(path)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    monkeypatch.setattr(engines, "WRITE_WAIT_SECONDS", 0.3)
    waiting = open_db(path)
    waiting.execute("PRAGMA busy_timeout = 10")
    told = []
    try:
        busy = "the database is busy: another crmcli process"
        with (
            pytest.raises(DatabaseError, match=busy),
            waiting.write(on_wait=lambda: told.append(1)),
        ):
            pass
        assert len(told) == 1  # said once, however long the wait
        holder.execute("ROLLBACK")
        with waiting.write():
            customers.add(waiting, name="After")
        assert customers.count(waiting) == 1
    finally:
        waiting.close()
        holder.close()


@pytest.mark.sqlite_only("SQLite's write lock and its wait loop")
def test_a_command_waiting_for_another_writer_says_so_once(tmp_path, monkeypatch, cli):
    path = tmp_path / "x.db"
    cli("--db", str(path), "customers", "add", "--name", "Before")
    holder = open_db(path)
    holder.execute("BEGIN IMMEDIATE")  # an import in another process holds the write lock
    monkeypatch.setattr(engines, "WRITE_WAIT_SECONDS", 0.5)
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 20)  # each try waits 20 ms
    try:
        result = cli("--db", str(path), "customers", "add", "--name", "Kim", ok=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    waiting = f"crmcli: {path}: another crmcli process is writing; waiting for it\n"
    assert result.stderr.count(waiting) == 1  # once, however many tries
    assert "the database is busy: another crmcli process has been writing" in result.stderr
    assert result.stderr.index(waiting) < result.stderr.index("the database is busy")
    assert (
        cli("--db", str(path), "customers", "list", "--fields", "name").stdout == "name\nBefore\n"
    )


def test_a_folder_or_a_tiny_file_is_no_database(tmp_path):
    with pytest.raises(DatabaseError, match="is a directory, not a database file"):
        open_db(tmp_path)
    tiny = tmp_path / "tiny.db"
    tiny.write_text("hello")  # shorter than any SQLite page
    with pytest.raises(NotADatabase, match="not an SQLite file"):
        open_db(tiny)
    assert tiny.read_text() == "hello"  # left unchanged


def test_an_empty_file_becomes_the_database_made_private(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    db = open_db(path)
    try:
        customers.add(db, name="First")
    finally:
        db.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert db_module.kind_of(open_db(path, migrate=False))[0] == db_module.CRMCLI


def test_open_read_sees_the_same_rows_and_creates_nothing(tmp_path):
    path = tmp_path / "x.db"
    with pytest.raises(NoDatabase):
        db_module.open_read(path)
    assert not path.exists()
    db = open_db(path)
    customers.add(db, name="김민준")
    db.close()
    reader = db_module.open_read(path)
    try:
        assert [r["name"] for r in customers.rows(reader)] == ["김민준"]
    finally:
        reader.close()
    memory = db_module.open_read(":memory:")
    assert customers.count(memory) == 0
    memory.close()


def test_a_backup_is_one_file_and_never_the_database_itself(tmp_path):
    db = open_db(tmp_path / "x.db")
    try:
        customers.add(db, name="김민준")
        with pytest.raises(UnsafeOutput, match="is the open database"):
            db.backup(tmp_path / "x.db", force=True)
        db.backup(tmp_path / "copy.db")
        assert not (tmp_path / "copy.db-wal").exists()
        mode = sqlite3.connect(tmp_path / "copy.db").execute("PRAGMA journal_mode").fetchone()
        assert mode == ("delete",)
        with pytest.raises(Conflict):
            db.backup(tmp_path / "copy.db")  # exists: only with force
        db.backup(tmp_path / "copy.db", force=True)
    finally:
        db.close()


def test_a_database_that_cannot_be_created_is_said_so(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError, match=r"a-file/x\.db: Not a directory"):
        open_db(blocker / "x.db")

    def full(path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(db_module, "create_private", full)
    with pytest.raises(DatabaseError, match=r"^cannot create .*new\.db: No space left on device"):
        open_db(tmp_path / "new.db")


def test_an_old_database_that_cannot_be_written_is_read_from_an_upgraded_copy(
    tmp_path, monkeypatch
):
    from crmcli import migrations

    path = tmp_path / "old.db"
    db = open_db(path)
    customers.add(db, name="김민준")
    db.close()
    before = path.read_bytes()
    # A newer crmcli with a migration this file lacks, run by a user who cannot write it.
    monkeypatch.setattr(migrations, "pending_names", lambda db: ["m999_newer"])
    monkeypatch.setattr(db_module, "_writable", lambda path: False)
    told: list[str] = []
    copy = db_module.open_read(path, notice=told.append)
    try:
        assert [r["name"] for r in customers.rows(copy)] == ["김민준"]
        assert db_module.db_file(copy) == ""  # in memory, not the file
    finally:
        copy.close()
    assert len(told) == 1 and "read from an upgraded copy in memory" in told[0]
    assert path.read_bytes() == before  # the file itself was not touched
