"""Migrations: every released schema's file opens, migrates to head, and keeps every row.

`tests/fixtures/schema/` holds one database per released schema version, each made
by the script beside it. Add one there whenever a release adds a migration.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmcli.db import open_db
from crmcli.errors import DatabaseError
from crmcli.migrations import appended, applied_names, names

SCHEMA = Path(__file__).parent / "fixtures" / "schema"
RELEASED = sorted(SCHEMA.glob("v*.db"))
HEAD = names()


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'customers_fts_%' ORDER BY name"
        )
    ]


def _snapshot(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows (ordered), read with plain sqlite3."""
    conn = sqlite3.connect(path)
    out = {}
    for table in _tables(conn):
        if table == "customers_fts":
            continue  # an index over customers, checked through search below
        # search_key is derived data, rebuilt with the live code after m095 (REBUILDS):
        # it changes by design; test_search checks old customers are found.
        columns = [
            r[1]
            for r in conn.execute(f'PRAGMA table_info("{table}")')
            if (table, r[1]) != ("customers", "search_key")
        ]
        cols = ", ".join(f'"{c}"' for c in columns)
        rows = conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY {cols}').fetchall()
        out[table] = (columns, rows)
    conn.close()
    return out


def _schema(conn: sqlite3.Connection) -> set[tuple]:
    return set(
        conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'sqlite_sequence'"
        ).fetchall()
    )


def _copy(fixture: Path, tmp_path: Path) -> Path:
    target = tmp_path / fixture.name
    shutil.copyfile(fixture, target)
    target.chmod(0o600)
    return target


def test_there_is_a_fixture_for_the_first_release():
    assert [p.name for p in RELEASED] == ["v1-m001.db"]
    conn = sqlite3.connect(RELEASED[0])
    assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")] == ["m001_initial"]
    empty = [
        t for t in _tables(conn) if not conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
    ]
    assert empty == [], "every table of the fixture has rows"
    conn.close()


@pytest.mark.parametrize("fixture", RELEASED, ids=[p.stem for p in RELEASED])
def test_a_released_database_migrates_to_head_and_keeps_every_row(fixture, tmp_path, figures):
    path = _copy(fixture, tmp_path)
    before = _snapshot(path)
    db = open_db(path)
    assert applied_names(db) == HEAD
    db.close()
    after = _snapshot(path)
    rows = 0
    for table, (columns, old_rows) in before.items():
        if table == "_sqlite_migrations":
            continue
        new_columns, _ = after[table]
        assert new_columns[: len(columns)] == columns or set(columns) <= set(new_columns), table
        cols = ", ".join(f'"{c}"' for c in columns)
        conn = sqlite3.connect(path)
        kept = conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY {cols}').fetchall()
        conn.close()
        assert kept == old_rows, table
        rows += len(old_rows)
    # The migrated file has exactly the schema of a database made fresh today.
    fresh = open_db(tmp_path / "fresh.db")
    fresh.close()
    old, new = sqlite3.connect(path), sqlite3.connect(tmp_path / "fresh.db")
    assert _schema(old) == _schema(new)
    # And it works: search (FTS), the integrity and foreign-key checks.
    assert old.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert old.execute("PRAGMA foreign_key_check").fetchall() == []
    old.close()
    new.close()
    from crmcli import customers

    db = open_db(path)
    assert [r["code"] for r in customers.search(db, "민준")] == ["K001"]
    figures.record(
        f"migrations.{fixture.stem}",
        tables=len(before) - 1,
        rows_kept=rows,
        rows_lost=0,
        migrations_applied=len(HEAD) - 1,
    )


@pytest.fixture
def failing_migration():
    """A migration, registered last, that changes the schema and then fails."""

    def m999_fails(db):
        db.execute("CREATE TABLE half_done (x)")
        db.execute("ALTER TABLE no_such_table ADD COLUMN y")

    with appended("m999_fails", m999_fails):
        yield


@pytest.mark.sqlite_only("released versions' SQLite files")
def test_a_failing_migration_leaves_the_previous_version(tmp_path, failing_migration, cli):
    path = _copy(RELEASED[0], tmp_path)
    before = _snapshot(path)
    schema_before = _schema(sqlite3.connect(path))
    with pytest.raises(DatabaseError, match="unchanged, still at migration m001_initial"):
        open_db(path)
    assert _snapshot(path) == before
    assert _schema(sqlite3.connect(path)) == schema_before
    # Through the command line: a message, exit 1, no traceback, still unchanged.
    result = cli("--db", str(path), "customers", "list", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("crmcli: error: could not bring the database's schema")
    assert "Traceback" not in result.stderr
    assert _snapshot(path) == before


RACER = """
import sys, time
from crmcli.migrations import appended

def m999_counts(db):
    db.execute("CREATE TABLE IF NOT EXISTS migration_runs (pid)")
    db.execute("INSERT INTO migration_runs VALUES (?)", [__import__("os").getpid()])
    time.sleep(0.2)  # widen the window in which a second process could slip in

from crmcli.db import open_db
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
with appended("m999_counts", m999_counts):
    db = open_db(sys.argv[1])
print(len(db.execute("SELECT * FROM customers").fetchall()))
"""


def test_processes_starting_at_once_on_an_old_database_migrate_it_once(tmp_path, figures):
    rounds, processes = 2, 4
    for _ in range(rounds):
        path = _copy(RELEASED[0], tmp_path)
        # A file crmcli made is in WAL mode (the fixture is kept in rollback mode so it
        # is one self-contained file): race on what users really have.
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        conn.close()
        start = time.time() + 1.5  # everyone imports first, then opens at the same moment
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(path), str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        outs = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0] * processes, outs
        assert [o[0].strip() for o in outs] == ["4"] * processes
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT count(*) FROM migration_runs").fetchone()[0] == 1
        names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert names == [*HEAD, "m999_counts"]
        conn.close()
        path.unlink()
    figures.record("migrations.concurrent_open", rounds=rounds, processes=processes, double_runs=0)
