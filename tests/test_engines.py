"""The engine interface: the same calls, the same results, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcli import migrations
from crmcli.cli import env
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import BUSY_TIMEOUT_MS, Engine, like_pattern, to_pyformat
from crmcli.errors import DatabaseError

pytestmark = pytest.mark.engines


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    engine = open_db(parse(db_url))
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
    reference = open_db(tmp_path / "reference.db")
    try:
        expected_tables = reference.tables()
    finally:
        reference.close()
    assert store.tables() == expected_tables
    assert store.applied_migrations() == migrations.names()
    assert "customers" in expected_tables
    assert not any("fts" in t for t in store.tables())


def test_a_failed_transaction_leaves_nothing(store: Engine) -> None:
    with pytest.raises(RuntimeError), store.write():
        _customer(store, "Kim")
        raise RuntimeError("the till lost power")
    assert store.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_a_nested_transaction_is_a_savepoint(store: Engine) -> None:
    with store.write():
        _customer(store, "Kim")
        with pytest.raises(RuntimeError), store.write():
            _customer(store, "Lee")
            raise RuntimeError("inner")
        _customer(store, "Park")
    names = store.execute("SELECT name FROM customers ORDER BY id").fetchall()
    assert [n for (n,) in names] == ["Kim", "Park"]


def test_insert_returns_the_new_id_and_placeholders_work(store: Engine) -> None:
    with store.write():
        first = _customer(store, "Kim")
        second = _customer(store, "Lee")
    assert second > first
    row = store.execute("SELECT name FROM customers WHERE id = ?", [second]).fetchone()
    assert tuple(row) == ("Lee",)
    named = store.execute("SELECT id FROM customers WHERE name = :n", {"n": "Kim"}).fetchone()
    assert tuple(named) == (first,)


def test_upsert_inserts_then_updates(store: Engine) -> None:
    with store.write():
        store.upsert("settings", {"key": "shop.name", "value": "Corner"}, key=["key"])
        store.upsert("settings", {"key": "shop.name", "value": "Corner & Co"}, key=["key"])
        store.upsert("settings", {"key": "timezone", "value": "Asia/Seoul"}, key=["key"])
    rows = store.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
    assert [tuple(r) for r in rows] == [("shop.name", "Corner & Co"), ("timezone", "Asia/Seoul")]


def test_contains_matches_any_script_and_wildcards_literally(store: Engine) -> None:
    with store.write():
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
    with store.write():
        customer = _customer(store, "Kim")
        complaint = store.insert(
            "complaints",
            {"customer_id": customer, "summary": "late", "stage_since": "d", "opened_at": "d"},
        )
        store.insert(
            "complaint_events", {"complaint_id": complaint, "at": "d", "to_stage": "received"}
        )
    with pytest.raises(Exception) as caught, store.write():
        store.execute("DELETE FROM complaint_events")
    assert store.is_append_only_error(caught.value)
    assert not store.is_append_only_error(RuntimeError("complaint history is append-only"))
    assert store.execute("SELECT count(*) FROM complaint_events").fetchone()[0] == 1


def test_backup_says_what_it_made(store: Engine, tmp_path: Path) -> None:
    with store.write():
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
    with store.write():
        customer = _customer(store, "Kim")
    with store.write():
        store.execute("DELETE FROM customers WHERE id = ?", [customer])
    warnings = store.erase(["customers"])
    if store.name == "postgresql":
        assert "write-ahead log" in warnings[0]
    else:
        assert warnings == []


def test_in_transaction_and_has_table(store: Engine) -> None:
    assert not store.in_transaction
    with store.write():
        assert store.in_transaction
    assert not store.in_transaction
    assert store.has_table("customers")
    assert not store.has_table("no_such_table")


def test_a_driver_failure_is_the_engines_error(store: Engine) -> None:
    with pytest.raises(store.Error):
        store.execute("SELECT * FROM no_such_table").fetchall()


def test_executemany_counts_the_rows_it_changed(store: Engine) -> None:
    with store.write():
        ids = [_customer(store, n) for n in ("Kim", "Lee", "Park")]
        cursor = store.executemany(
            "UPDATE customers SET company = ? WHERE id = ?", [("a", ids[0]), ("b", ids[2])]
        )
    assert cursor.rowcount == 2


# --- SQLite's write lock ---


def test_a_write_that_may_not_wait_is_refused_at_once_when_the_lock_is_held(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.db"
    holder, other = open_db(path), open_db(path)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process is writing
        started = time.monotonic()
        with pytest.raises(DatabaseError, match="busy"), other.write(wait=False):
            pass
        assert time.monotonic() - started < 1  # not the 5 s busy timeout
        assert other.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
        holder.execute("ROLLBACK")
        with other.write(wait=False):
            _customer(other, "Kim")
        assert other.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    finally:
        holder.close()
        other.close()


def test_an_sqlite_connection_fires_delete_triggers_on_replace(tmp_path: Path) -> None:
    # sqlite-utils, which crmcli connected through before its engine, turned this on:
    # without it an INSERT OR REPLACE leaves the search index rows of the row it replaced.
    store = open_db(tmp_path / "x.db")
    try:
        assert store.execute("PRAGMA recursive_triggers").fetchone()[0] == 1
    finally:
        store.close()


# --- what the CLI hands out ---


def test_a_command_listed_as_ported_gets_the_engine_of_its_url(
    cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(env, "ON_POSTGRESQL", (*env.ON_POSTGRESQL, "config get"))
    cli("--db", db_url, "db", "migrate")
    assert cli("--db", db_url, "config", "get", "currency").stdout == "KRW\n"


def test_a_command_not_listed_refuses_a_url_and_names_those_that_run(
    cli, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(env, "ON_POSTGRESQL", ("db path", "db migrate", "config get"))
    refused = cli("--db", pg_url, "config", "list", ok=False)
    assert refused.exit_code == 1
    assert "(only `crmcli db path`, `db migrate` and `config get` do)" in refused.stderr


# --- the schema as it is (what privacy, merge and search read instead of PRAGMAs) ---


def test_columns_say_name_not_null_and_default(store: Engine) -> None:
    columns = {c.name: c for c in store.columns("customers")}
    assert list(columns)[:2] == ["id", "code"]
    assert not columns["name"].not_null  # a customer needs no name: a code is enough
    assert columns["created_at"].not_null is True
    assert columns["do_not_contact"].not_null and columns["do_not_contact"].default == "0"
    assert columns["email"] == ("email", False, None)


def test_references_name_the_column_and_the_table_it_points_to(store: Engine) -> None:
    assert ("customer_id", "customers") in store.references("purchases")
    assert ("other_id", "customers") in store.references("customer_relations")
    assert store.parent_tables("customer_relations") == {"customers"}
    assert store.references("settings") == []


def test_files_are_the_database_and_its_companions_or_none_on_a_server(store: Engine) -> None:
    files = store.files()
    if store.name == "sqlite":
        assert files[0].name == "engine.db"
        assert [f.name for f in files[1:4]] == [
            "engine.db-wal",
            "engine.db-shm",
            "engine.db-journal",
        ]
    else:
        assert files == []


def test_a_cache_size_set_is_given_back(store: Engine) -> None:
    before = store.set_cache_size(32_768)
    assert store.set_cache_size(before) == (32_768 if store.name == "sqlite" else before)
    if store.name == "sqlite":
        assert store.execute("PRAGMA cache_size").fetchone()[0] == -before
        store.set_cache_size(1024, temp=True)
        assert store.execute("PRAGMA temp.cache_size").fetchone()[0] == -1024


def test_secure_delete_is_on_where_the_engine_has_it(store: Engine) -> None:
    store.secure_delete()
    if store.name == "sqlite":
        assert store.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_an_error_that_ends_the_whole_transaction_is_not_masked_by_the_savepoint(
    tmp_path: Path,
) -> None:
    store = open_db(tmp_path / "x.db")
    try:
        store.execute(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON settings"
            " BEGIN SELECT RAISE(ROLLBACK, 'refused by a trigger'); END"
        )
        with (
            pytest.raises(sqlite3.IntegrityError, match="refused by a trigger"),
            store.write(),
            store.write(),  # a savepoint: the trigger ends the transaction under it
        ):
            store.execute("INSERT INTO settings (key, value) VALUES ('a', 'b')")
        assert not store.in_transaction
    finally:
        store.close()
