"""The migrations package: released names frozen, new ones in name order, each self-contained.

The released databases themselves (old files migrating to head, keeping every row)
are tested in test_migrations_released.py.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from pathlib import Path

import crmcli.migrations as migrations_package
from crmcli.db import open_db
from crmcli.migrations import (
    RELEASED,
    applied_names,
    names,
    pending_names,
    run_order,
)

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
