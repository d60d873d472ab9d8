"""demo: the bundled example shop, built whole in a database of its own."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pytest

from crmcli import demo
from crmcli.errors import Conflict
from crmcli.files import UnsafeOutput


def _examples() -> tuple[int, int]:
    """How many customers (CSV rows + vCards) and purchase lines the examples hold."""
    with demo.example_dir() as folder:
        with (folder / "customers.csv").open(encoding="utf-8") as f:
            people = sum(1 for _ in csv.DictReader(f))
        people += (folder / "contacts.vcf").read_text(encoding="utf-8").count("BEGIN:VCARD")
        with (folder / "purchases.csv").open(encoding="utf-8") as f:
            lines = sum(1 for _ in csv.DictReader(f))
    return people, lines


def test_the_default_path_is_a_per_user_folder_in_the_temp_dir():
    path = demo.default_path()
    assert path.name == "demo.db"
    assert path.parent.name == f"{demo.DEMO_DIRNAME}-{os.getuid()}"
    assert path.parent.parent == Path(tempfile.gettempdir())


def test_the_examples_ship_with_the_package():
    with demo.example_dir() as folder:
        assert {"customers.csv", "contacts.vcf", "purchases.csv"} <= {
            p.name for p in folder.iterdir()
        }


def test_build_loads_every_example_through_the_imports(tmp_path):
    path = tmp_path / "a" / "demo.db"
    db = demo.build(path)
    try:
        people, lines = _examples()
        assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == people
        assert db.execute("SELECT count(*) FROM purchases").fetchone()[0] == lines
        # Purchases found their customers by code: none is anonymous.
        assert (
            db.execute("SELECT count(*) FROM purchases WHERE customer_id IS NULL").fetchone()[0]
            == 0
        )
        kim = db.execute("SELECT name FROM customers WHERE code = 'K001'").fetchone()[0]
        assert kim == "김민준"
    finally:
        db.close()
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"  # private folder
    assert [p.name for p in path.parent.iterdir() if ".tmp" in p.name] == []


def test_an_existing_demo_is_replaced_only_with_force(tmp_path):
    path = tmp_path / "demo.db"
    path.write_bytes(b"not yet a demo")
    with pytest.raises(Conflict, match="already exists"):
        demo.build(path)
    assert path.read_bytes() == b"not yet a demo"
    demo.build(path, force=True).close()
    assert path.read_bytes().startswith(b"SQLite format 3")


def test_a_protected_file_is_never_replaced(tmp_path):
    path = tmp_path / "crmcli.db"
    path.write_bytes(b"the real shop")
    with pytest.raises(UnsafeOutput):
        demo.build(path, protect=[(path, "the database")], force=True)
    assert path.read_bytes() == b"the real shop"


def test_a_database_in_use_is_not_replaced(tmp_path):
    path = tmp_path / "demo.db"
    demo.build(path).close()
    (tmp_path / "demo.db-wal").write_bytes(b"")
    with pytest.raises(UnsafeOutput, match="-wal exists"):
        demo.build(path, force=True)


def test_a_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "import_purchases", broken)
    folder = tmp_path / "d"
    with pytest.raises(RuntimeError):
        demo.build(folder / "demo.db")
    assert list(folder.iterdir()) == []  # no half-built demo, no temporary file
