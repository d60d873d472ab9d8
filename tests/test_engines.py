"""The engine interface: the same calls, the same results, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcli import migrations
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import BUSY_TIMEOUT_MS, Engine, for_postgresql, like_pattern, to_pyformat
from crmcli.errors import DatabaseError


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
        assert (
            time.monotonic() - started < 3
        )  # not the 5 s busy timeout (with room for a loaded machine)
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


def test_a_command_gets_the_engine_of_its_url(cli, db_url: str) -> None:
    cli("--db", db_url, "db", "migrate")
    assert cli("--db", db_url, "config", "get", "currency").stdout == "KRW\n"


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


# --- the SQL each engine spells its own way: the same answers on both ---


def test_json_values_feed_an_in_list_of_ids_or_of_text(store: Engine) -> None:
    import json

    with store.write():
        ids = [_customer(store, n) for n in ("Kim", "Lee", "Park")]
    picked = json.dumps([ids[2], ids[0], 999])
    rows = store.execute(
        f"SELECT name FROM customers WHERE id IN ({store.json_values()}) ORDER BY id", [picked]
    ).fetchall()
    assert [r[0] for r in rows] == ["Kim", "Park"]
    names = json.dumps(["Lee", "Nobody"])
    rows = store.execute(
        f"SELECT id FROM customers WHERE name IN ({store.json_values(integers=False)})", [names]
    ).fetchall()
    assert [r[0] for r in rows] == [ids[1]]


def test_a_few_ids_in_json_values_are_looked_up_by_the_index(store: Engine) -> None:
    # A server guessed any JSON list at 100 elements and read the whole table for one
    # id: an import's updated row cost 2.6 ms at 5,000 customers, 0.7 ms at 1,000.
    import json

    with store.write():
        store.executemany(
            "INSERT INTO customers (id, name, search_key, created_at, updated_at)"
            " VALUES (?, ?, ?, 't', 't')",
            [(i, f"n{i}", f"n{i}") for i in range(1, 5001)],
        )
        store.execute("ANALYZE")
    sql = f"SELECT name FROM customers WHERE id IN ({store.json_values()})"
    one = json.dumps([42])
    if store.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in store.execute(f"EXPLAIN QUERY PLAN {sql}", [one]))
        assert "PRIMARY KEY" in plan, plan
    else:
        plan = " ".join(r[0] for r in store.execute(f"EXPLAIN {sql}", [one]))
        assert "Index Scan" in plan and "Seq Scan" not in plan, plan
    assert store.execute(sql, [one]).fetchall() == [("n42",)]
    assert store.execute(sql, ["[]"]).fetchall() == []


def test_json_list_and_tuple_gather_rows_in_their_order(store: Engine) -> None:
    import json

    with store.write():
        kim = _customer(store, "Kim")
        for tag in ("vip", "b2b"):
            store.execute("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)", [kim, tag])
    tags = store.execute(
        f"SELECT {store.json_list('tag')} FROM"
        " (SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag) AS subquery_tags",
        [kim],
    ).fetchone()[0]
    assert json.loads(tags) == ["b2b", "vip"]
    pairs = store.execute(
        f"SELECT {store.json_list(store.json_tuple('customer_id', 'tag', '1'))} FROM"
        " (SELECT customer_id, tag FROM customer_tags ORDER BY tag DESC) AS subquery_tags"
    ).fetchone()[0]
    assert json.loads(pairs) == [[kim, "vip", 1], [kim, "b2b", 1]]
    none = store.execute(
        f"SELECT {store.json_list('tag')} FROM customer_tags WHERE customer_id = -1"
    ).fetchone()[0]
    assert json.loads(none) == []


def test_joined_firsts_keeps_each_value_where_it_first_comes_not_sorted(store: Engine) -> None:
    # PostgreSQL's DISTINCT would sort them (Beans,Grinder,Tea): an order's items are
    # said in the order its lines were recorded, as SQLite reads them.
    lines = "(VALUES (1, 'Tea'), (2, 'Grinder'), (3, 'Tea'), (4, NULL), (5, 'Beans')) AS v"
    joined = store.joined_firsts("column2", "column1")
    assert store.execute(f"SELECT {joined} FROM {lines}").fetchone()[0] == "Tea,Grinder,Beans"
    nothing = f"SELECT {joined} FROM {lines} WHERE column2 IS NULL"
    assert store.execute(nothing).fetchone()[0] is None


def test_json_keys_name_an_objects_members_in_order(store: Engine) -> None:
    with store.write():
        a = _customer(store, "A")
        b = _customer(store, "B")
        _customer(store, "C")
        store.execute("UPDATE customers SET extra = ? WHERE id = ?", ['{"z": 1, "a": 2}', a])
        store.execute("UPDATE customers SET extra = ? WHERE id = ?", ['{"m": null, "a": 3}', b])
    keys = store.execute(
        f"SELECT j.key FROM customers c, {store.json_keys('c.extra', 'j')}"
        " WHERE c.extra IS NOT NULL GROUP BY j.key ORDER BY min(c.id), min(j.id)"
    ).fetchall()
    assert [k[0] for k in keys] == ["z", "a", "m"]


def test_has_any_of_finds_a_character_of_the_ranges(store: Engine) -> None:
    with store.write():
        for name in ("上原優", "Anna", "김민준", "Li 李"):
            _customer(store, name)
    han = store.has_any_of("name", "\u4e00-\u9fff\u3400-\u4dbf")
    rows = store.execute(f"SELECT name FROM customers WHERE {han} ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["上原優", "Li 李"]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("substring", "inju", ["minjun kim"]),
        ("substring", "김민준", ["김민준 | 민준 | 준"]),
        ("word", "mi", ["minjun kim", "mia"]),
        ("word", "ki", ["minjun kim"]),
        ("word", "준", ["김민준 | 민준 | 준"]),
        ("word", "'", []),
    ],
)
def test_text_search_proposes_the_same_candidates(
    store: Engine, kind: str, text: str, expected: list[str]
) -> None:
    with store.write():
        for key in ("minjun kim", "mia", "김민준 | 민준 | 준", "lim"):
            store.insert(
                "customers",
                {"name": key, "search_key": key, "created_at": "t", "updated_at": "t"},
            )
    sql, params = store.text_search(kind, text)
    ids = [r[0] for r in store.execute(sql, params).fetchall()]
    names = [
        store.execute("SELECT name FROM customers WHERE id = ?", [i]).fetchone()[0] for i in ids
    ]
    assert names == expected
    assert ids == sorted(ids)


def test_text_search_finds_phone_digits_anywhere(store: Engine) -> None:
    with store.write():
        kim = _customer(store, "Kim")
        lee = _customer(store, "Lee")
        for customer, digits, position in ((kim, "01012345678", 0), (lee, "0255512345", 0)):
            store.insert(
                "customer_phones",
                {"customer_id": customer, "raw": digits, "digits": digits, "position": position},
            )
    sql, params = store.text_search("digits", "1234")
    assert [r[0] for r in store.execute(sql, params).fetchall()] == [kim, lee]


def test_a_refusal_says_what_sqlite_says_through_the_engine(store: Engine) -> None:
    with store.write():
        store.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')")
    with pytest.raises(store.Error) as caught, store.write():
        store.execute("INSERT INTO settings (key, value) VALUES ('k', 'w')")
    assert str(caught.value) == "UNIQUE constraint failed: settings.key"
    assert store.execute("SELECT value FROM settings WHERE key = 'k'").fetchone()[0] == "v"


def test_ids_given_by_hand_are_followed_by_the_next_plain_insert(store: Engine) -> None:
    row = {"name": "A", "search_key": "a", "created_at": "t", "updated_at": "t"}
    with store.write():
        store.execute(
            "INSERT INTO customers (id, name, search_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [41, "Given", "given", "t", "t"],
        )
        assert store.insert("customers", row) == 42
        store.executemany(
            'INSERT INTO customers ("id", name, search_key, created_at, updated_at)'
            " VALUES (?, ?, ?, ?, ?)",
            [(50, "B", "b", "t", "t"), (60, "C", "c", "t", "t")],
        )
        assert store.insert("customers", row) == 61


@pytest.mark.parametrize(
    ("sqlite", "server"),
    [
        (
            "SELECT 1 FROM t WHERE a IS NOT ? AND b IS ?",
            "a IS DISTINCT FROM %s AND b IS NOT DISTINCT FROM %s",
        ),
        (
            "SELECT 1 FROM t WHERE a IS NOT 'x' AND b IS :v",
            "a IS DISTINCT FROM 'x' AND b IS NOT DISTINCT FROM %(v)s",
        ),
        (
            "SELECT 1 FROM t WHERE a IS NULL AND b IS NOT NULL AND c IS TRUE",
            "a IS NULL AND b IS NOT NULL AND c IS TRUE",
        ),
        (
            "SELECT sum(x) FROM purchases p INDEXED BY purchases_item WHERE 1",
            "FROM purchases p WHERE 1",
        ),
        ("SELECT x FROM customers c NOT INDEXED WHERE 1", "FROM customers c WHERE 1"),
        ("SELECT count(*) FROM temp.tier_spend", "FROM pg_temp.tier_spend"),
        (
            "CREATE TEMP TABLE t (k TEXT PRIMARY KEY, n INTEGER, why TEXT) WITHOUT ROWID",
            '(k TEXT COLLATE "C" PRIMARY KEY, n INTEGER, why TEXT COLLATE "C")',
        ),  # a table made at run time compares text by code point, as SQLite's (m126)
        ("CREATE TEMP TABLE t AS SELECT CAST(x AS TEXT) FROM y", "CAST(x AS TEXT) FROM y"),
        (
            "INSERT OR IGNORE INTO t VALUES (?, ?)",
            "INSERT INTO t VALUES (%s, %s) ON CONFLICT DO NOTHING",
        ),
        ("SELECT 'it IS here', 'temp.x'", "SELECT 'it IS here', 'temp.x'"),
    ],
)
def test_sqlites_own_spellings_are_read_as_postgresql_means_them(sqlite: str, server: str) -> None:
    assert server in for_postgresql(sqlite)
