"""The database: location, permissions, migrations, check and backup."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from crmcli import customers
from crmcli.db import backup, check, open_db, resolve_db_path, write
from crmcli.errors import DatabaseError
from crmcli.migrations import applied_names, names


def test_location_order(tmp_path):
    env = {"CRMCLI_DB": str(tmp_path / "env.db")}
    assert resolve_db_path("given.db", env) == Path("given.db")
    assert resolve_db_path(None, env) == tmp_path / "env.db"
    fallback = resolve_db_path(None, {})
    assert fallback.name == "crmcli.db" and "crmcli" in str(fallback.parent)
    assert not fallback.exists()  # resolving creates nothing


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
    with pytest.raises(RuntimeError), write(db):
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
    backup(db, target)
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
