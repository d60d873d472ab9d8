"""`crmcli db copy`: a whole shop between engines, all or nothing, checked after.

The engine's bulk helpers it stands on (`read_table`, `copy_rows`, `advance_ids`,
`parent_tables`) are tested here too, on each engine.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pg_server
import pytest

from crmcli import db_copy
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import Engine, SqliteEngine, like_pattern, pg_dump_program
from crmcli.errors import Conflict, DatabaseError, UsageError

Dump = dict[str, list[tuple[Any, ...]]]


def dump(target: str | Path) -> Dump:
    """Every crmcli table, every column, ordered by primary key (as stored when none)."""
    engine = db_copy.open_source(parse(str(target)))
    try:
        with engine.read_snapshot():
            out: Dump = {}
            for table in engine.tables():
                columns = sorted(db_copy._columns(engine, table))
                out[table] = [
                    tuple(float(v) if isinstance(v, Decimal) else v for v in row)
                    for row in engine.read_table(table, columns)
                ]
            return out
    finally:
        engine.close()


@pytest.fixture(scope="module")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop, plus what it lacks: a fractional quantity, follow-ups, a contact,
    a forgotten customer whose complaint history was redacted, a setting."""
    from typer.testing import CliRunner

    from crmcli.cli import app

    path = tmp_path_factory.mktemp("shop") / "shop.db"
    runner = CliRunner()
    steps = [
        ["demo", "--path", str(path)],
        ["--db", str(path), "purchases", "add", "K002", "--amount", "12.34", "--quantity", "1.5",
         "--item", "Tea 'Earl' % grey", "--on", "2026-01-02", "--note", "line one\nline two"],
        ["--db", str(path), "followups", "add", "K003", "--in", "3d", "--note", "call back"],
        ["--db", str(path), "contacts", "log", "K004", "--channel", "call", "--note", "asked"],
        ["--db", str(path), "customers", "forget", "K001", "--yes"],
        ["--db", str(path), "config", "set", "phone.region", "KR"],
    ]  # fmt: skip
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return path


@pytest.fixture
def shop(shop_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    path.write_bytes(shop_template.read_bytes())
    return path


def test_the_seeded_shop_has_something_in_every_table_that_matters(shop: Path) -> None:
    tables = dump(shop)
    wanted = ["customers", "purchases", "complaint_events", "import_changes", "followups"]
    wanted += ["contacts", "tier_assignments", "templates", "settings", "customer_tags"]
    for table in wanted:
        assert tables[table], table
    assert any(1.5 in row for row in tables["purchases"])  # a fractional quantity


# --- the round trip ---


def test_sqlite_to_postgresql_and_back_gives_the_same_tables(
    shop: Path, pg_url: str, tmp_path: Path, cli: Any
) -> None:
    back = tmp_path / "back.db"
    first = cli("db", "copy", str(shop), pg_url)
    assert "copied" in first.stderr and first.stdout == ""
    cli("db", "copy", pg_url, str(back))
    original = dump(shop)
    assert dump(pg_url) == original
    assert dump(back) == original
    assert stat.S_IMODE(os.stat(back).st_mode) == 0o600


def test_postgresql_to_postgresql_gives_the_same_tables(shop: Path, pg_url: str, cli: Any) -> None:
    import pg_server

    cli("db", "copy", str(shop), pg_url)
    with pg_server.server().database() as other:
        cli("db", "copy", pg_url, other)
        assert dump(other) == dump(shop)


@pytest.mark.sqlite_only("a copy from one SQLite file to another")
def test_sqlite_to_sqlite_gives_the_same_tables_and_a_working_database(
    shop: Path, tmp_path: Path, cli: Any
) -> None:
    copy = tmp_path / "copy.db"
    result = cli("db", "copy", str(shop), str(copy))
    assert dump(copy) == dump(shop)
    assert "23 tables" in result.stderr or "tables" in result.stderr
    assert "purchases.amount_micros" in result.stderr
    assert len(result.stderr.splitlines()) == 2 and result.stdout == ""  # piped: no progress bar
    # The search indexes were filled as the customers arrived: search finds them.
    found = cli("--db", str(copy), "customers", "search", "이서연", "--fields", "code")
    assert "K002" in found.stdout
    assert cli("--db", str(copy), "db", "check").exit_code == 0


def test_ids_go_on_after_the_copied_ones(shop: Path, db_url: str, cli: Any) -> None:
    cli("db", "copy", str(shop), db_url)
    engine = open_db(parse(db_url))
    try:
        top = engine.execute("SELECT max(id) FROM customers").fetchone()[0]
        new = engine.insert(
            "customers", {"name": "New", "search_key": "new", "created_at": "t", "updated_at": "t"}
        )
        assert new == top + 1
    finally:
        engine.close()


def test_complaint_history_stays_append_only_after_the_copy(
    shop: Path, db_url: str, cli: Any
) -> None:
    cli("db", "copy", str(shop), db_url)
    engine = open_db(parse(db_url))
    try:
        assert engine.execute("SELECT count(*) FROM complaint_events").fetchone()[0] > 0
        with pytest.raises(Exception) as caught, engine.write():
            engine.execute("DELETE FROM complaint_events")
        assert engine.is_append_only_error(caught.value)
    finally:
        engine.close()


def test_a_database_made_by_db_migrate_is_empty_enough(shop: Path, db_url: str, cli: Any) -> None:
    cli("--db", db_url, "db", "migrate")
    cli("db", "copy", str(shop), db_url)
    assert dump(db_url)["templates"] == dump(shop)["templates"]


# --- refusals: nothing touched ---


def test_a_destination_with_rows_of_its_own_is_refused_and_unchanged(
    shop: Path, db_url: str, cli: Any
) -> None:
    engine = open_db(parse(db_url))
    try:
        with engine.write():
            engine.insert(
                "customers",
                {"name": "Kim", "search_key": "kim", "created_at": "t", "updated_at": "t"},
            )
    finally:
        engine.close()
    before = dump(db_url)
    result = cli("db", "copy", str(shop), db_url, ok=False)
    assert result.exit_code == 1
    assert "is not empty (its table customers holds 1 row)" in result.stderr
    assert "Traceback" not in result.stderr
    assert dump(db_url) == before


def test_edited_seed_rows_count_as_rows_of_its_own(shop: Path, db_url: str, cli: Any) -> None:
    dest = db_url
    cli("--db", dest, "db", "migrate")
    engine = open_db(dest)
    try:
        with engine.write():
            engine.execute("UPDATE templates SET body = 'changed' WHERE name = 'birthday'")
    finally:
        engine.close()
    result = cli("db", "copy", str(shop), dest, ok=False)
    assert result.exit_code == 1 and "its table templates holds" in result.stderr


def test_another_applications_database_is_refused(shop: Path, db_url: str, cli: Any) -> None:
    if db_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE invoices (id int)")
    else:
        with sqlite3.connect(db_url) as conn:
            conn.execute("CREATE TABLE invoices (id int)")
    result = cli("db", "copy", str(shop), db_url, ok=False)
    assert result.exit_code == 1
    assert "is not a crmcli database (it holds other tables: invoices)" in result.stderr
    # The advice names DEST, the argument typed: `db copy` reads no --db / CRMCLI_DB.
    assert "DEST must be a new file, an empty PostgreSQL database" in result.stderr
    assert "CRMCLI_DB" not in result.stderr and "--adopt" not in result.stderr
    back = cli("db", "copy", db_url, str(shop.parent / "back.db"), ok=False)
    assert back.exit_code == 1 and "(it holds other tables: invoices)" in back.stderr
    assert "Check SRC: it must be a crmcli database" in back.stderr
    assert "CRMCLI_DB" not in back.stderr and not (shop.parent / "back.db").exists()


def test_an_existing_file_is_refused_when_it_is_not_empty(
    shop: Path, tmp_path: Path, cli: Any
) -> None:
    dest = tmp_path / "notes.txt"
    dest.write_text("my notes, not a database\n" * 40)
    result = cli("db", "copy", str(shop), str(dest), ok=False)
    assert result.exit_code == 1
    assert dest.read_text() == "my notes, not a database\n" * 40


def test_an_empty_file_given_as_destination_becomes_the_copy(
    shop: Path, tmp_path: Path, cli: Any
) -> None:
    dest = tmp_path / "empty.db"
    dest.touch()
    cli("db", "copy", str(shop), str(dest))
    assert dump(dest) == dump(shop)


def test_a_source_with_an_older_schema_is_refused(shop: Path, tmp_path: Path, cli: Any) -> None:
    with sqlite3.connect(shop) as conn:
        last = conn.execute("SELECT max(name) FROM _sqlite_migrations").fetchone()[0]
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [last])
    dest = tmp_path / "dest.db"
    result = cli("db", "copy", str(shop), str(dest), ok=False)
    assert result.exit_code == 1
    assert f"has an older schema (migration {last} is not applied)" in result.stderr
    assert f"crmcli --db {shop} db migrate" in result.stderr
    assert not dest.exists()


def test_a_source_made_by_a_newer_crmcli_is_refused(shop: Path, tmp_path: Path, cli: Any) -> None:
    with sqlite3.connect(shop) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('crmcli', 'm999_future', '2030-01-01')"
        )
    result = cli("db", "copy", str(shop), str(tmp_path / "dest.db"), ok=False)
    assert (
        result.exit_code == 1 and "newer crmcli" in result.stderr and "m999_future" in result.stderr
    )


@pytest.mark.parametrize("made", ["missing", "empty", "no tables"])
def test_a_missing_source_is_an_error_and_creates_nothing(
    tmp_path: Path, cli: Any, made: str
) -> None:
    source = tmp_path / "nope.db"
    if made == "empty":
        source.touch()
    elif made == "no tables":
        with closing(sqlite3.connect(source)) as conn:  # an SQLite file, its one table dropped
            conn.executescript("CREATE TABLE t (x); DROP TABLE t;")
    result = cli("db", "copy", str(source), str(tmp_path / "dest.db"), ok=False)
    assert result.exit_code == 1 and f"no crmcli database at {source}" in result.stderr
    assert {"missing": "at", "empty": "empty", "no tables": "without tables"}[made] in result.stderr
    # SRC is an argument: the advice is about it, not about --db / CRMCLI_DB.
    assert "SRC must be an existing crmcli database" in result.stderr
    assert "CRMCLI_DB" not in result.stderr and "customers add" not in result.stderr
    assert not (tmp_path / "dest.db").exists()


def test_copying_a_database_onto_itself_is_a_usage_error(shop: Path, cli: Any) -> None:
    result = cli("db", "copy", str(shop), f"{shop.parent}/./{shop.name}", ok=False)
    assert result.exit_code == 2 and "is both SRC and DEST" in result.stderr


def test_another_scheme_is_a_usage_error(shop: Path, cli: Any) -> None:
    result = cli("db", "copy", str(shop), "mysql://shop@db1/crm", ok=False)
    assert result.exit_code == 2 and "DEST: mysql://shop@db1/crm" in result.stderr


def test_the_password_is_never_shown(shop: Path, pg_url: str, cli: Any) -> None:
    # The test server trusts local connections: the password is carried, never needed.
    with_password = f"{pg_url}&password=s3cr3t-pw"
    done = cli("db", "copy", str(shop), with_password)
    refused = cli("db", "copy", str(shop), with_password, ok=False)
    assert refused.exit_code == 1
    for result in (done, refused):
        assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "password=***" in done.stderr


# --- all or nothing ---


def _fail_on(monkeypatch: pytest.MonkeyPatch, table: str, error: BaseException) -> None:
    """Reading `table` from the source breaks after its first row."""
    real = SqliteEngine.read_table

    def read_table(self: SqliteEngine, name: str, columns: Any) -> Iterator[tuple[Any, ...]]:
        for i, row in enumerate(real(self, name, columns)):
            if name == table and i == 1:
                raise error
            yield row

    monkeypatch.setattr(SqliteEngine, "read_table", read_table)


@pytest.mark.parametrize(
    ("error", "status"),
    [(sqlite3.OperationalError("disk I/O error"), 1), (KeyboardInterrupt(), 130)],
    ids=["error", "ctrl-c"],
)
def test_a_failure_half_way_leaves_the_destination_as_it_was(
    shop: Path,
    db_url: str,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    status: int,
) -> None:
    _fail_on(monkeypatch, "purchases", error)  # after customers, before complaints
    result = cli("db", "copy", str(shop), db_url, ok=False)
    assert result.exit_code == status, result.stderr
    if status == 1:
        assert "copying table purchases to" in result.stderr
        assert "nothing was copied" in result.stderr
    if db_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db_url) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        assert tables == []  # not even the schema
    else:
        assert not os.path.exists(db_url)
        assert sorted(p.name for p in Path(db_url).parent.iterdir()) == ["shop.db", "tmp"]


def test_a_failure_leaves_an_existing_empty_crmcli_database_as_it_was(
    shop: Path, db_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("--db", db_url, "db", "migrate")
    before = dump(db_url)
    _fail_on(monkeypatch, "complaint_events", sqlite3.OperationalError("disk I/O error"))
    assert cli("db", "copy", str(shop), db_url, ok=False).exit_code == 1
    assert dump(db_url) == before


def test_a_mismatch_in_the_sums_is_an_error_and_nothing_is_kept(
    shop: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = SqliteEngine.read_table

    def one_cent_more(self: SqliteEngine, name: str, columns: Any) -> Iterator[tuple[Any, ...]]:
        for i, row in enumerate(real(self, name, columns)):
            if name == "purchases" and i == 0:
                at = list(columns).index("amount_micros")
                row = (*row[:at], row[at] + 10_000, *row[at + 1 :])
            yield row

    monkeypatch.setattr(SqliteEngine, "read_table", one_cent_more)
    with pytest.raises(DatabaseError, match=r"does not match .* in table purchases"):
        db_copy.copy_database(shop, parse(db_url))
    monkeypatch.undo()
    target = parse(db_url)
    if isinstance(target, Path):
        assert not target.exists()
    else:
        with pytest.raises(DatabaseError, match="no crmcli database"):
            db_copy.open_source(target)


def test_a_row_the_destination_refuses_names_the_table(shop: Path, pg_url: str) -> None:
    with sqlite3.connect(shop) as conn:  # SQLite takes any text in an integer column
        conn.execute("UPDATE purchases SET amount_micros = 'lots' WHERE id = 3")
    with pytest.raises(DatabaseError) as caught:
        db_copy.copy_database(shop, parse(pg_url))
    message = str(caught.value)
    assert "copying table purchases to" in message
    assert 'invalid input syntax for type bigint: "lots"' in message
    assert "COPY purchases, line 3" in message


# --- what the core reports ---


def test_the_result_counts_every_table_and_reports_progress(shop: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    result = db_copy.copy_database(
        shop, tmp_path / "copy.db", progress=lambda done, total: calls.append((done, total))
    )
    original = dump(shop)
    assert {t.name: t.rows for t in result.tables} == {t: len(rows) for t, rows in original.items()}
    assert result.rows == sum(len(rows) for rows in original.values())
    assert "purchases.amount_micros" in result.money_columns
    assert calls[-1] == (result.rows, result.rows)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_usage_error_for_the_same_file(shop: Path) -> None:
    with pytest.raises(UsageError):
        db_copy.copy_database(shop, shop)


# --- the engine's bulk helpers, on each engine ---


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    """The test's engine; a test using it names `db_url` too, so it runs on each engine."""
    engine = open_db(parse(db_url))
    yield engine
    engine.close()


def test_copy_rows_loads_rows_with_their_ids_and_read_table_gives_them_back(
    store: Engine, db_url: str
) -> None:
    columns = ["id", "name", "search_key", "created_at", "updated_at"]
    rows = [(i, f"Name {i} '%?", f"name {i}", "t", "t") for i in (5, 2, 9)]
    with store.write():
        assert store.copy_rows("customers", columns, iter(rows)) == 3
        store.advance_ids("customers")
        new = store.insert(
            "customers",
            {"name": "Next", "search_key": "next", "created_at": "t", "updated_at": "t"},
        )
    assert new == 10
    with store.read_snapshot():
        assert list(store.read_table("customers", ["id", "name"]))[:3] == [
            (2, "Name 2 '%?"),
            (5, "Name 5 '%?"),
            (9, "Name 9 '%?"),
        ]


def test_copy_rows_is_part_of_the_callers_transaction(store: Engine, db_url: str) -> None:
    columns = ["id", "name", "search_key", "created_at", "updated_at"]
    with pytest.raises(RuntimeError), store.write():
        store.copy_rows("customers", columns, [(1, "A", "a", "t", "t")])
        raise RuntimeError("stop")
    assert store.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_parent_tables_follow_the_foreign_keys(store: Engine, db_url: str) -> None:
    assert store.parent_tables("purchases") == {"customers", "imports"}
    assert store.parent_tables("visit_results") == {"contacts", "visit_plans"}
    assert store.parent_tables("settings") == set()


def test_conflict_is_the_error_for_a_full_destination(shop: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest.db"
    db_copy.copy_database(shop, dest)
    with pytest.raises(Conflict):
        db_copy.copy_database(shop, dest)


def _catalog(store: Engine) -> list[tuple[Any, ...]]:
    """Every index, trigger and constraint, as the engine describes them."""
    if store.name == "sqlite":
        return store.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
            " WHERE type IN ('index', 'trigger', 'table') ORDER BY name"
        ).fetchall()
    indexes = store.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1"
    ).fetchall()
    keys = store.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"
    ).fetchall()
    triggers = store.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
    ).fetchall()
    return [*indexes, *keys, *triggers]


def test_bulk_loading_puts_back_every_index_trigger_and_key(store: Engine, db_url: str) -> None:
    before = _catalog(store)
    tables = store.tables()
    with store.write(), store.bulk_loading(tables):
        assert _catalog(store) != before  # something was set aside
        store.copy_rows(
            "customers",
            ["id", "name", "search_key", "created_at", "updated_at"],
            [(7, "Seo-yeon", "seo-yeon 서연", "t", "t")],
        )
    assert _catalog(store) == before
    found = store.execute(
        f"SELECT id FROM customers WHERE {store.contains('search_key')}", [like_pattern("서연")]
    ).fetchall()
    assert found == [(7,)]
    if store.name == "sqlite":  # the search index its trigger would have filled: rebuilt
        matched = store.execute(
            "SELECT rowid FROM customers_fts WHERE customers_fts MATCH '\"yeon\"'"
        ).fetchall()
        assert matched == [(7,)]
        store.execute(
            "INSERT INTO customers_fts(customers_fts, rank) VALUES ('integrity-check', 1)"
        )


def test_a_unique_index_rebuilt_over_the_rows_still_refuses_and_rolls_back(
    store: Engine, db_url: str
) -> None:
    before = _catalog(store)
    with (
        pytest.raises(Exception) as caught,
        store.write(),
        store.bulk_loading(["customers", "visit_plans"]),
    ):
        store.copy_rows(
            "customers",
            ["id", "name", "search_key", "created_at", "updated_at"],
            [(1, "A", "a", "t", "t")],
        )
        columns = ["id", "customer_id", "every", "goal", "from_day", "created_at"]
        store.copy_rows(
            "visit_plans", columns, [(i, 1, "1m", "visit", "2026-01-01", "t") for i in (1, 2)]
        )
    assert "visit_plans_active" in str(caught.value) or "UNIQUE" in str(caught.value)
    assert _catalog(store) == before
    assert store.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_a_foreign_key_checked_after_the_load_still_refuses(store: Engine, db_url: str) -> None:
    with (
        pytest.raises(Exception, match=r"(?i)foreign key"),
        store.write(),
        store.bulk_loading(["purchases"]),
    ):
        columns = ["id", "customer_id", "date", "amount_micros", "created_at"]
        store.copy_rows("purchases", columns, [(1, 404, "2026-01-01", 1, "t")])
    assert store.execute("SELECT count(*) FROM purchases").fetchone()[0] == 0


# --- killed (SIGKILL: no cleanup at all) ---


def test_a_killed_copy_leaves_the_destination_whole_or_without_a_trace(
    shop: Path, db_url: str, tmp_path: Path, figures: Any
) -> None:
    import contextlib

    import pg_server
    from reliability_crash import cli_work, kill_trials

    original = dump(shop)
    targets: dict[int, str] = {}
    with contextlib.ExitStack() as dropped_at_the_end:

        def work(n: int) -> Any:
            if db_url.startswith("postgresql"):
                targets[n] = dropped_at_the_end.enter_context(pg_server.server().database())
            else:
                targets[n] = str(tmp_path / f"trial-{n}.db")
            return cli_work("db", "copy", str(shop), targets[n])

        def check(n: int) -> str:
            target = parse(targets[n])
            if isinstance(target, Path):
                if not target.exists():
                    return "absent"  # a killed run's temporary file may stay beside it
            else:
                import psycopg

                with psycopg.connect(targets[n], autocommit=True) as conn:
                    tables = conn.execute(
                        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                    ).fetchone()[0]
                if tables == 0:
                    return "absent"  # not even the schema: the server rolled it all back
            assert dump(targets[n]) == original  # there: then whole
            return "present"

        result = kill_trials(work, check, trials=8)
    assert result.killed > 0
    engine = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    figures.record(
        f"crash.db_copy_to_{engine}",
        trials=result.count,
        killed=result.killed,
        seconds_per_copy=round(result.duration, 2),
        wholly_absent=result.outcomes.get("absent", 0),
        wholly_present=result.outcomes.get("present", 0),
        partial=0,
    )


def test_a_source_breaking_its_own_keys_is_refused_with_where_to_look(
    shop: Path, db_url: str
) -> None:
    import subprocess
    import sys

    with sqlite3.connect(shop) as conn:  # foreign keys off, as an old tool may have left it
        conn.execute("UPDATE purchases SET customer_id = 99999 WHERE id = 5")
    done = subprocess.run(
        [sys.executable, "-m", "crmcli", "db", "copy", str(shop), db_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "nothing was copied" in done.stderr
    assert f"{shop} holds rows its own keys or checks do not allow" in done.stderr
    assert f"crmcli --db {shop} db check" in done.stderr
    # One line: no half-read cursor complaining on the way out.
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# --- `db backup` of a server: a pg_dump archive, or an SQLite file made as a copy is ---


@pytest.fixture
def on_server(shop: Path, pg_url: str, cli: Any) -> str:
    """The seeded shop, copied onto a new PostgreSQL database: its URL."""
    cli("db", "copy", str(shop), pg_url)
    return pg_url


def _without_pg_dump(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))


def _journal_mode(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_server_without_pg_dump_is_backed_up_as_an_sqlite_file_that_restores_whole(
    on_server: str, pg_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_pg_dump(monkeypatch, tmp_path)
    target = tmp_path / "backup.db"
    result = cli("--db", on_server, "db", "backup", str(target))
    said = result.stderr
    assert f"to {target}: an SQLite file, " in said and "counts and money sums checked" in said
    assert "pg_dump is not installed, so the backup is an SQLite file" in said
    assert result.stdout == ""
    assert target.stat().st_mode & 0o777 == 0o600
    assert _journal_mode(target) == "delete"  # one file to move or mail, as SQLite's backup
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
        "backup.db"
    ]
    assert dump(target) == dump(on_server)
    # crmcli reads it as it is, and `db copy` puts it back on a server, the same.
    listed = cli("--db", str(target), "customers", "list", "--format", "csv").stdout
    assert listed == cli("--db", on_server, "customers", "list", "--format", "csv").stdout
    with pg_server.server().database() as restored:
        cli("db", "copy", str(target), restored)
        assert dump(restored) == dump(on_server)


def test_pg_dump_is_given_no_secret_on_its_command_line(
    on_server: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ps` shows a program's command line to every user of the machine: the password
    goes to pg_dump by its environment, a client key's passphrase (`sslpassword`, which
    libpq reads from no variable) by a service file of its own, removed after."""
    real = pg_dump_program()
    if real is None:
        pytest.skip("pg_dump is not installed here")
    seen = tmp_path / "seen"
    shim = tmp_path / "bin" / "pg_dump"  # records what it was given, then is pg_dump
    shim.parent.mkdir()
    shim.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {seen}.argv\n'
        f'cat "$PGSERVICEFILE" > {seen}.services; echo "$PGPASSWORD" > {seen}.password\n'
        f'echo "$PGSERVICEFILE" > {seen}.where\n'
        f'exec {real} "$@"\n'
    )
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}:{os.environ['PATH']}")
    url = f"{on_server}&password=pw-s3cret&sslpassword=key-s3cret"  # trust: not checked
    target = tmp_path / "backup.dump"
    said = cli("--db", url, "db", "backup", str(target), "--as", "pg_dump").stderr
    assert "a pg_dump archive" in said and "s3cret" not in said
    argv = Path(f"{seen}.argv").read_text()
    assert "s3cret" not in argv and "--dbname=service=crmcli" in argv
    assert "sslpassword=key-s3cret" in Path(f"{seen}.services").read_text()
    assert Path(f"{seen}.password").read_text().strip() == "pw-s3cret"
    assert not Path(Path(f"{seen}.where").read_text().strip()).parent.exists()
    assert target.read_bytes().startswith(b"PGDMP")


def test_backup_as_sqlite_is_chosen_even_with_pg_dump_and_replaces_only_with_force(
    on_server: str, tmp_path: Path, cli: Any
) -> None:
    target = tmp_path / "backup.db"
    target.write_text("yesterday's backup")
    refused = cli("--db", on_server, "db", "backup", str(target), "--as", "sqlite", ok=False)
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert target.read_text() == "yesterday's backup"
    done = cli("--db", on_server, "db", "backup", str(target), "--as", "sqlite", "--force")
    assert "an SQLite file" in done.stderr and "pg_dump is not installed" not in done.stderr
    assert dump(target) == dump(on_server)


def test_a_pg_dump_archive_is_refused_as_what_it_is_with_the_way_to_restore_it(
    on_server: str, tmp_path: Path, cli: Any
) -> None:
    # A server's default backup is pg_restore's, not crmcli's: `db copy` of it (the
    # README's backup-then-copy on a server) says what it is and what to do.
    if pg_dump_program() is None:
        pytest.skip("pg_dump is not installed here")
    archive = tmp_path / "backup.db"
    cli("--db", on_server, "db", "backup", str(archive))
    before = archive.read_bytes()
    for args in (["db", "copy", str(archive), str(tmp_path / "copy.db")],
                 ["--db", str(archive), "customers", "list"]):  # fmt: skip
        result = cli(*args, ok=False)
        assert result.exit_code == 1 and result.stdout == ""
        assert f"{archive} is a pg_dump archive, not a crmcli database" in result.stderr
        assert f"pg_restore --dbname=URL {archive}" in result.stderr
        assert "crmcli db backup FILE --as sqlite" in result.stderr
    assert archive.read_bytes() == before and not (tmp_path / "copy.db").exists()
    # What the README shows instead: a backup crmcli copies, on either engine.
    portable = tmp_path / "portable.db"
    cli("--db", on_server, "db", "backup", str(portable), "--as", "sqlite")
    cli("db", "copy", str(portable), str(tmp_path / "copy.db"))
    assert dump(tmp_path / "copy.db") == dump(on_server)


def test_a_server_backup_that_fails_half_way_leaves_no_file_and_the_old_one_kept(
    on_server: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmcli.engines import PostgresEngine

    real = PostgresEngine.read_table

    def read_table(self: PostgresEngine, name: str, columns: Any) -> Iterator[tuple[Any, ...]]:
        for i, row in enumerate(real(self, name, columns)):
            if name == "purchases" and i == 1:
                raise sqlite3.OperationalError("disk I/O error")
            yield row

    monkeypatch.setattr(PostgresEngine, "read_table", read_table)
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    old.write_text("last week's backup")
    for target, force in ((new, []), (old, ["--force"])):
        result = cli(
            "--db", on_server, "db", "backup", str(target), "--as", "sqlite", *force, ok=False
        )
        assert result.exit_code == 1 and "nothing was copied" in result.stderr
    assert not new.exists() and old.read_text() == "last week's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db", "shop.db", "tmp"]


def test_backup_as_pg_dump_without_pg_dump_says_what_to_install_and_the_other_way(
    on_server: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_pg_dump(monkeypatch, tmp_path)
    target = tmp_path / "x.dump"
    result = cli("--db", on_server, "db", "backup", str(target), "--as", "pg_dump", ok=False)
    assert result.exit_code == 1
    assert "needs pg_dump" in result.stderr and "postgresql-client" in result.stderr
    assert "--as sqlite" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("kind", "said"),
    [("pg_dump", "backs up a PostgreSQL database; this one is an SQLite file"),
     ("zip", "--as takes sqlite or pg_dump, not 'zip'")],
)  # fmt: skip
def test_backup_as_what_an_sqlite_file_cannot_be_is_a_usage_error(
    shop: Path, tmp_path: Path, cli: Any, kind: str, said: str
) -> None:
    target = tmp_path / "x.backup"
    result = cli("--db", str(shop), "db", "backup", str(target), "--as", kind, ok=False)
    assert result.exit_code == 2 and said in result.stderr
    assert not target.exists()


def test_an_sqlite_file_asked_as_sqlite_is_backed_up_by_sqlites_backup_api(
    shop: Path, tmp_path: Path, cli: Any
) -> None:
    target = tmp_path / "x.db"
    result = cli("--db", str(shop), "db", "backup", str(target), "--as", "sqlite")
    assert result.stderr == f"backed up {shop} to {target}\n"
    assert dump(target) == dump(shop)


def _hangul(n: int, seed: int) -> str:
    rng = __import__("random").Random(seed)
    return "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(n))


def test_text_stored_before_the_limit_is_named_before_anything_reaches_a_server(
    shop: Path, pg_url: str
) -> None:
    """SQLite took any length before crmcli limited indexed text; a server's index cannot
    (an entry holds 2,704 bytes). Every such value is named, in crmcli's words, and the
    server gets nothing: not the raw `index row size` error of the first one."""
    code, item = _hangul(1_500, 1), _hangul(400, 2)  # 4,500 and 1,200 bytes, random: no
    with sqlite3.connect(shop) as conn:  # compression squeezes them under the server's limit
        conn.execute("UPDATE customers SET code = ? WHERE id = 2", [code])
        conn.execute("UPDATE purchases SET item = ? WHERE id = 4", [item])
        conn.execute("UPDATE customers SET name = ? WHERE id = 3", ["김" * 333])  # 999 bytes
    with pytest.raises(DatabaseError) as caught:
        db_copy.copy_database(shop, parse(pg_url))
    message = str(caught.value)
    assert "holds text longer than" in message and "so nothing was copied" in message
    assert (
        "customers id 2: code is 1,500 characters long (4,500 bytes); at most 1,000 bytes"
        in message
    )
    assert (
        "purchases id 4: item is 400 characters long (1,200 bytes); at most 1,000 bytes" in message
    )
    assert "customers id 3" not in message  # within the limit
    assert "index row size" not in message
    import psycopg

    with psycopg.connect(pg_url) as conn:  # not even the schema
        assert conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone() == (0,)


def test_a_long_list_of_values_too_long_is_cut_and_counted(
    shop: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(shop) as conn:
        for i in (1, 2, 3):
            conn.execute("UPDATE purchases SET item = ? WHERE id = ?", [_hangul(400, i), i])
    monkeypatch.setattr(db_copy, "TOO_LONG_SHOWN", 2)
    with pytest.raises(DatabaseError) as caught:
        db_copy.copy_database(shop, parse(pg_url))
    lines = str(caught.value).splitlines()
    assert [line[:16] for line in lines[1:]] == [
        "  purchases id 1",
        "  purchases id 2",
        "  and 1 more",
    ]


def test_every_text_column_a_server_indexes_is_known_to_the_copy(pg_url: str) -> None:
    """The e-mail's case-blind index (an expression) and the code's UNIQUE key count too."""
    engine = open_db(parse(pg_url))  # the schema made by crmcli's migrations
    try:
        columns = engine.indexed_text_columns("customers")
        assert {"code", "email", "name", "owner"} <= set(columns)
        assert "note" not in columns  # not indexed: any length
        assert {"item", "category"} <= set(engine.indexed_text_columns("purchases"))
    finally:
        engine.close()
