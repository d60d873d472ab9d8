"""The migrations package: released names frozen, new ones in name order, each self-contained.

The released databases themselves (old files migrating to head, keeping every row)
are tested in test_migrations_released.py.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

import crmcli.migrations as migrations_package
from crmcli import customers
from crmcli.db import open_db
from crmcli.migrations import (
    RELEASED,
    applied_names,
    names,
    pending_names,
    run_order,
)
from crmcli.migrations import m134_checks_as_comparisons as m134

PACKAGE = Path(migrations_package.__file__).parent
NAME = re.compile(r"m(\d{3})_[a-z0-9]+(?:_[a-z0-9]+)*")


def later() -> list[str]:
    return names()[len(RELEASED) :]


def test_released_migrations_are_frozen():
    # Databases in the field record these names, in this order: renaming, dropping or
    # reordering one would make crmcli run it again or refuse the file. This digest
    # changes with any edit to RELEASED; never update it to make the test pass.
    digest = hashlib.sha256("\n".join(RELEASED).encode()).hexdigest()
    assert digest == "43ee94f05d148a708616f3c7108a5c858776c78054748e505b659e1c2449c2f0"
    assert names()[: len(RELEASED)] == list(RELEASED)


def test_every_new_migration_sorts_after_every_released_one():
    last_released = max(RELEASED)
    early = [name for name in later() if name <= last_released]
    assert early == [], f"renumber these above {last_released}: {early}"


def test_new_migrations_run_in_name_order():
    assert later() == sorted(later())
    # The rule itself, on names that are not (yet) in the package.
    found = ["m200_b", *reversed(RELEASED), "m120_a", "m150_c"]
    assert run_order(found) == [*RELEASED, "m120_a", "m150_c", "m200_b"]


def test_each_migration_is_named_and_numbered_once():
    bad = [name for name in names() if not NAME.fullmatch(name)]
    assert bad == [], "a migration is named mNNN_what_it_does"
    numbers = [NAME.fullmatch(name)[1] for name in names()]
    taken_twice = sorted({n for n in numbers if numbers.count(n) > 1})
    assert taken_twice == [], f"two migrations share a number: {taken_twice}"


def test_a_fresh_database_runs_every_migration_in_order(tmp_path):
    db = open_db(tmp_path / "fresh.db")
    assert applied_names(db) == names()
    assert pending_names(db) == []


def test_a_database_at_the_released_schema_runs_only_what_is_new(tmp_path):
    # A database made before the later migrations existed: they, and only they, run next,
    # in name order.
    db = open_db(tmp_path / "old.db")
    new = later()
    db.execute(f"DELETE FROM _sqlite_migrations WHERE name IN ({', '.join('?' for _ in new)})", new)
    db.conn.commit()
    assert pending_names(db) == new


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_a_migration_carries_its_data_and_imports_no_feature_code():
    # Live code moves on; what an old database was given must not. Derived data that
    # must follow the live code is rebuilt after a migration instead (REBUILDS).
    allowed = {"__future__", "sqlite_utils", "crmcli.migrations.sql"}
    for name in names():
        path = PACKAGE / f"{name}.py"
        foreign = {
            module
            for module in _imports(path) - allowed
            if module.split(".")[0] not in sys.stdlib_module_names
        }
        assert foreign == set(), f"{name} imports {foreign}"


def test_each_migration_says_what_it_does():
    for name in names():
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{name} has no docstring"


def _insert_programs(db) -> dict[str, list[str]]:
    """Each table's INSERT of every column, as SQLite compiles it: table → opcodes."""
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    out = {}
    for table in tables:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        names_ = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        program = db.execute(
            f'EXPLAIN INSERT INTO "{table}" ({names_}) VALUES ({marks})', [None] * len(columns)
        )
        out[table] = [row[1] for row in program]
    return out


def test_no_table_builds_a_temporary_table_for_each_row_written(tmp_path):
    # m134: SQLite 3.40 tests a CHECK's IN list by building a temporary index of the
    # list for every row written (a tenth of `tiers classify`'s instructions at 100k
    # customers; twice per customer in a customers import). The constraints are
    # comparisons: writing a row into any table opens no ephemeral table.
    db = open_db(tmp_path / "fresh.db")
    programs = _insert_programs(db)
    assert {"tier_assignments", "customers", "import_changes"} <= set(programs)
    assert [table for table, ops in programs.items() if "OpenEphemeral" in ops] == []
    db.close()


# (table, its checked column, the values it takes, whether it may be empty)
CHECKED = [
    ("tier_assignments", "tier", ["A", "B", "C"], False),
    ("customers", "tier_override", ["A", "B", "C"], True),
    ("customers", "attitude", ["loyal", "brand-switching", "no-loyalty"], True),
    ("complaints", "severity", ["low", "normal", "high"], False),
    (
        "complaints",
        "stage",
        ["received", "apologized", "cause-found", "resolved", "followed-up", "closed"],
        False,
    ),
    ("complaints", "cause", ["expectation", "product-quality", "staff-service", "other"], True),
]


@pytest.mark.parametrize("table, column, allowed, nullable", CHECKED, ids=[c[1] for c in CHECKED])
def test_a_checked_column_takes_its_values_and_refuses_the_rest(
    db, table, column, allowed, nullable
):
    # The comparisons m134 writes say what the IN list said, on both engines: each listed
    # value goes in (and NULL where the column may be empty); a near miss does not.
    cid = customers.add(db, name="a", code="K1")
    with db.write():
        db.execute(
            'INSERT INTO tier_runs (id, rule, params, "window", as_of, created_at)'
            " VALUES (1, 'pareto', '{}', '12m', '2026-01-01', 't')"
        )
        db.execute(
            "INSERT INTO tier_assignments (run_id, customer_id, tier, spend_micros, rank)"
            " VALUES (1, ?, 'A', 0, 1)",
            [cid],
        )
        db.execute(
            "INSERT INTO complaints (customer_id, summary, stage_since, opened_at)"
            " VALUES (?, 's', '2026-01-01', '2026-01-01')",
            [cid],
        )
    for value in [*allowed, *([None] if nullable else [])]:
        with db.write():
            db.execute(f"UPDATE {table} SET {column} = ?", [value])
        assert db.execute(f"SELECT {column} FROM {table}").fetchone()[0] == value
    near = allowed[0].lower() if allowed[0].isupper() else allowed[0].upper()
    for wrong in (near, allowed[0] + " ", "D", ""):
        with pytest.raises(Exception, match="CHECK constraint failed"), db.write():
            db.execute(f"UPDATE {table} SET {column} = ?", [wrong])


def _listed_table(path: Path) -> Database:
    db = Database(path)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL CHECK (x IN ('a', 'b')))")
    db.execute("INSERT INTO t (x) VALUES ('a')")
    return db


def test_m134_rewrites_a_listed_check_in_place_and_keeps_its_rule(tmp_path):
    db = _listed_table(tmp_path / "old.db")
    with db.conn:
        m134.migrate(db)
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()
    assert "CHECK (x = 'a' OR x = 'b')" in sql
    program = [row[1] for row in db.execute("EXPLAIN INSERT INTO t (x) VALUES ('b')")]
    assert "OpenEphemeral" not in program
    # Another connection reads the new schema (the schema version moved on).
    other = sqlite3.connect(tmp_path / "old.db")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        other.execute("INSERT INTO t (x) VALUES ('c')")
    other.execute("INSERT INTO t (x) VALUES ('b')")
    other.commit()
    assert other.execute("SELECT x FROM t ORDER BY id").fetchall() == [("a",), ("b",)]
    assert other.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class _Defensive(Database):
    """An SQLite built with SQLITE_DBCONFIG_DEFENSIVE: its schema cannot be edited."""

    def execute(self, sql, parameters=None):
        if sql.startswith("UPDATE sqlite_master"):
            raise sqlite3.OperationalError("table sqlite_master may not be modified")
        return super().execute(sql, parameters)


def test_m134_on_an_sqlite_that_forbids_editing_its_schema_keeps_the_list(tmp_path):
    _listed_table(tmp_path / "old.db").conn.commit()
    db = _Defensive(tmp_path / "old.db")
    with db.conn:
        m134.migrate(db)  # no error: the file still opens and migrates
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()
    assert "CHECK (x IN ('a', 'b'))" in sql
    assert db.execute("PRAGMA writable_schema").fetchone()[0] == 0
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        db.execute("INSERT INTO t (x) VALUES ('c')")


def test_m135_keeps_every_keyed_row_and_refuses_a_null_key(tmp_path, monkeypatch):
    # A file made before m135: SQLite let its text keys (and a visit's contact) be NULL.
    path = tmp_path / "old.db"
    before = names()[: names().index("m135_keys_never_null")]
    monkeypatch.setattr(migrations_package, "_names", before)
    db = open_db(path)
    cid = customers.add(db, name="a", code="K1")
    with db.write():
        db.execute("INSERT INTO settings (key, value) VALUES ('shop.name', 'Kim'), (NULL, 'x')")
        db.execute("INSERT INTO import_profiles (name, kind, mapping) VALUES ('p', 'c', '{}')")
        db.execute("INSERT INTO item_launches VALUES ('tea', '2026-01-01', 't')")
        db.execute(
            "INSERT INTO contacts (id, customer_id, at, channel)"
            " VALUES (7, ?, 't', 'visit'), (8, ?, 't', 'visit')",
            [cid, cid],
        )
        db.execute(
            "INSERT INTO visit_plans (id, customer_id, every, goal, from_day, created_at)"
            " VALUES (1, ?, '1m', 'tea', '2026-01-01', 't')",
            [cid],
        )
        db.execute("INSERT INTO visit_results VALUES (7, 1, 'tea', 1)")
        db.execute("INSERT INTO visit_results VALUES (NULL, 1, 'lost', 0)")  # numbered 8
    templates = db.execute("SELECT * FROM templates ORDER BY name").fetchall()
    db.close()
    monkeypatch.undo()
    db = open_db(path)
    assert pending_names(db) == []
    assert db.execute("SELECT * FROM settings").fetchall() == [("shop.name", "Kim")]
    assert db.execute("SELECT * FROM templates ORDER BY name").fetchall() == templates
    assert db.execute("SELECT name FROM import_profiles").fetchall() == [("p",)]
    assert db.execute("SELECT item FROM item_launches").fetchall() == [("tea",)]
    assert db.execute("SELECT * FROM visit_results ORDER BY 1").fetchall() == [
        (7, 1, "tea", 1),
        (8, 1, "lost", 0),
    ]
    for sql in (
        "INSERT INTO settings (key, value) VALUES (NULL, 'x')",
        "INSERT INTO templates (name, body, updated_at) VALUES (NULL, 'x', 't')",
        "INSERT INTO import_profiles (name, kind, mapping) VALUES (NULL, 'c', '{}')",
        "INSERT INTO item_launches VALUES (NULL, '2026-01-01', 't')",
        "INSERT INTO visit_results VALUES (NULL, 1, 'tea', 1)",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="NOT NULL constraint failed"), db.write():
            db.execute(sql)
    assert db.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


# --- what a migration does never changes once it is out ---

FROZEN = Path(__file__).parent / "fixtures" / "schema" / "migrations.sha256"


def _what_it_does(text: str) -> str:
    """A digest of a module's code: its tokens without comments, layout or module
    docstring, so a comment may be reworded and a change of behaviour may not."""
    import io
    import tokenize

    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT}
    skipped |= {tokenize.DEDENT, tokenize.ENDMARKER}
    kept: list[str] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in skipped or (not kept and token.type == tokenize.STRING):
            continue
        kept.append(token.string)
    return hashlib.sha256("\x00".join(kept).encode()).hexdigest()


def _frozen_now() -> dict[str, str]:
    from crmcli import postgres_schema

    out = {name: _what_it_does((PACKAGE / f"{name}.py").read_text()) for name in names()}
    out["sql"] = _what_it_does((PACKAGE / "sql.py").read_text())  # how their SQL is run
    # A server's baseline: what the released migrations are on PostgreSQL.
    out["postgres_schema.BASELINE_SQL"] = hashlib.sha256(
        postgres_schema.BASELINE_SQL.encode()
    ).hexdigest()
    return out


def test_a_migration_never_changes_once_it_is_out():
    # A database that ran a migration keeps what that migration did then: changing it
    # afterwards makes new databases differ from upgraded ones (the upgrade tests in
    # test_schema_both_engines.py build old databases with today's files, so they trust
    # this). Change the schema with a new migration. A new migration's line is added
    # here when it lands (the message below gives it).
    frozen = dict(line.split() for line in FROZEN.read_text().splitlines() if line.strip())
    now = _frozen_now()
    changed = sorted(name for name, digest in frozen.items() if now.get(name) != digest)
    assert changed == [], f"changed after they were out (write a new migration): {changed}"
    newest = max(n for n in frozen if NAME.fullmatch(n))
    unlisted = [n for n in names() if n not in frozen and n < newest]
    assert unlisted == [], f"add to {FROZEN.name}: " + "; ".join(f"{n} {now[n]}" for n in unlisted)
