"""The engine interface: the same calls, the same results, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcli import migrations
from crmcli.db_url import parse
from crmcli.engines import Engine, like_pattern, open_engine, to_pyformat

pytestmark = pytest.mark.engines


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    engine = open_engine(parse(db_url))
    yield engine
    engine.close()


def _customer(store: Engine, name: str) -> int:
    return store.insert(
        "customers",
        {"name": name, "search_key": name.casefold(), "created_at": "t", "updated_at": "t"},
    )


# --- placeholders (no server needed) ---


@pytest.mark.parametrize(
    ("sqlite", "psycopg"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT :name, :other_2", "SELECT %(name)s, %(other_2)s"),
        ("SELECT '?', 'it''s ?', \"odd?col\" FROM t", "SELECT '?', 'it''s ?', \"odd?col\" FROM t"),
        ("SELECT x LIKE '50%' AND y LIKE ?", "SELECT x LIKE '50%%' AND y LIKE %s"),
        ("SELECT amount % 7, ?::text", "SELECT amount %% 7, %s::text"),
        ("SELECT '12:30', ':not_a_name'", "SELECT '12:30', ':not_a_name'"),
    ],
)
def test_sqlite_placeholders_become_psycopgs(sqlite: str, psycopg: str) -> None:
    assert to_pyformat(sqlite) == psycopg


def test_like_pattern_takes_likes_own_characters_literally() -> None:
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


# --- on each engine ---


def test_a_new_database_has_the_same_tables_and_migrations(store: Engine, tmp_path: Path) -> None:
    reference = open_engine(tmp_path / "reference.db")
    try:
        expected_tables = reference.tables()
    finally:
        reference.close()
    assert store.tables() == expected_tables
    assert store.applied_migrations() == migrations.names()
    assert "customers" in expected_tables
    assert not any("fts" in t for t in store.tables())


def test_a_failed_transaction_leaves_nothing(store: Engine) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        _customer(store, "Kim")
        raise RuntimeError("the till lost power")
    assert store.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_a_nested_transaction_is_a_savepoint(store: Engine) -> None:
    with store.transaction():
        _customer(store, "Kim")
        with pytest.raises(RuntimeError), store.transaction():
            _customer(store, "Lee")
            raise RuntimeError("inner")
        _customer(store, "Park")
    names = store.execute("SELECT name FROM customers ORDER BY id").fetchall()
    assert [n for (n,) in names] == ["Kim", "Park"]


def test_insert_returns_the_new_id_and_placeholders_work(store: Engine) -> None:
    with store.transaction():
        first = _customer(store, "Kim")
        second = _customer(store, "Lee")
    assert second > first
    row = store.execute("SELECT name FROM customers WHERE id = ?", [second]).fetchone()
    assert tuple(row) == ("Lee",)
    named = store.execute("SELECT id FROM customers WHERE name = :n", {"n": "Kim"}).fetchone()
    assert tuple(named) == (first,)


def test_upsert_inserts_then_updates(store: Engine) -> None:
    with store.transaction():
        store.upsert("settings", {"key": "shop.name", "value": "Corner"}, key=["key"])
        store.upsert("settings", {"key": "shop.name", "value": "Corner & Co"}, key=["key"])
        store.upsert("settings", {"key": "timezone", "value": "Asia/Seoul"}, key=["key"])
    rows = store.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
    assert [tuple(r) for r in rows] == [("shop.name", "Corner & Co"), ("timezone", "Asia/Seoul")]


def test_contains_matches_any_script_and_wildcards_literally(store: Engine) -> None:
    with store.transaction():
        for name in ("김민수", "50% Off Ltd", "500 Offices", "snake_case", "snakes"):
            _customer(store, name)

    def found(text: str) -> list[str]:
        rows = store.execute(
            f"SELECT name FROM customers WHERE {store.contains('search_key')} ORDER BY id",
            [like_pattern(text.casefold())],
        ).fetchall()
        return [r[0] for r in rows]

    assert found("민수") == ["김민수"]
    assert found("50%") == ["50% Off Ltd"]
    assert found("e_c") == ["snake_case"]
    assert found("OFF") == ["50% Off Ltd", "500 Offices"]


def test_the_append_only_guard_is_recognised(store: Engine) -> None:
    with store.transaction():
        customer = _customer(store, "Kim")
        complaint = store.insert(
            "complaints",
            {"customer_id": customer, "summary": "late", "stage_since": "d", "opened_at": "d"},
        )
        store.insert(
            "complaint_events", {"complaint_id": complaint, "at": "d", "to_stage": "received"}
        )
    with pytest.raises(Exception) as caught, store.transaction():
        store.execute("DELETE FROM complaint_events")
    assert store.is_append_only_error(caught.value)
    assert not store.is_append_only_error(RuntimeError("complaint history is append-only"))
    assert store.execute("SELECT count(*) FROM complaint_events").fetchone()[0] == 1


def test_backup_says_what_it_made(store: Engine, tmp_path: Path) -> None:
    with store.transaction():
        _customer(store, "Kim")
    target = tmp_path / "copy"
    said = store.backup(target)
    assert target.stat().st_mode & 0o777 == 0o600
    head = target.read_bytes()[:16]
    if store.name == "sqlite":
        assert said.startswith("an SQLite file") and head.startswith(b"SQLite format 3")
    else:
        assert said.startswith("a pg_dump archive") and head.startswith(b"PGDMP")


def test_erase_runs_and_says_what_the_engine_keeps(store: Engine) -> None:
    with store.transaction():
        customer = _customer(store, "Kim")
    with store.transaction():
        store.execute("DELETE FROM customers WHERE id = ?", [customer])
    warnings = store.erase(["customers"])
    if store.name == "postgresql":
        assert "write-ahead log" in warnings[0]
    else:
        assert warnings == []
