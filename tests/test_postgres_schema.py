"""crmcli's schema on a real PostgreSQL server: made by the migrations, once, like SQLite's."""

from __future__ import annotations

import threading
from typing import Any

import pg_server
import pytest

from crmcli import migrations, postgres, postgres_schema
from crmcli.db import open_db
from crmcli.db_url import PostgresUrl
from crmcli.errors import DatabaseError, ForeignDatabase


def _sqlite_columns(tmp_path) -> dict[str, list[tuple[str, str, bool]]]:
    db = open_db(tmp_path / "fresh.db")
    try:
        out = {}
        for table in db.tables():  # SQLite's own and FTS5's tables left out
            info = db.execute(f'PRAGMA table_info("{table}")').fetchall()
            out[table] = [(c[1], c[2].upper(), bool(c[3]) or bool(c[5])) for c in info]
        return out
    finally:
        db.close()


def _pg_columns(conn: Any) -> dict[str, list[tuple[str, str, bool]]]:
    rows = conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO'"
        " FROM information_schema.columns c JOIN pg_tables t"
        "   ON t.tablename = c.table_name AND t.schemaname = c.table_schema"
        " WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position"
    ).fetchall()
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, not_null in rows:
        out.setdefault(table, []).append((column, data_type, not_null))
    return out


# How each SQLite column type is written on PostgreSQL.
TYPES = {"TEXT": {"text"}, "INTEGER": {"bigint", "integer"}, "NUMERIC": {"numeric"}}


@pytest.fixture
def pg(pg_url: str):
    conn = postgres.connect(PostgresUrl(pg_url))
    yield conn
    conn.close()


def test_db_migrate_makes_the_schema_once(cli, pg_url: str) -> None:
    before = cli("--db", pg_url, "db", "check", ok=False)
    assert before.exit_code == 1
    assert "holds no crmcli schema" in before.stderr
    first = cli("--db", pg_url, "db", "migrate")
    assert f"applied: {', '.join(migrations.names())}" in first.stderr
    again = cli("--db", pg_url, "db", "migrate")
    assert "the schema is up to date" in again.stderr
    check = cli("--db", pg_url, "db", "check")
    assert check.stderr.endswith(": ok\n")


def test_the_same_tables_and_columns_as_on_sqlite(pg, tmp_path) -> None:
    postgres_schema.apply_pending(pg)
    sqlite = _sqlite_columns(tmp_path)
    server = _pg_columns(pg)
    assert set(server) - {postgres_schema.MARKER} == set(sqlite)
    for table, columns in sqlite.items():
        on_pg = server[table]
        assert [c[0] for c in on_pg] == [c[0] for c in columns], table
        for (name, sqlite_type, sqlite_not_null), (_, pg_type, pg_not_null) in zip(
            columns, on_pg, strict=True
        ):
            assert pg_type in TYPES[sqlite_type], (table, name, pg_type)
            # A primary key is NOT NULL on PostgreSQL even where SQLite does not say so.
            assert pg_not_null >= sqlite_not_null, (table, name)


def test_every_table_numbered_by_an_identity_numbers_as_sqlite(pg) -> None:
    # m128's trigger on each: a table a later migration adds needs it too (its ids would
    # run ahead of SQLite's after a refusal).
    postgres_schema.apply_pending(pg)
    numbered = pg.execute(
        "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace AND a.attidentity <> ''"
        " AND c.relname <> %s ORDER BY 1",
        [postgres_schema.MARKER],
    ).fetchall()
    triggered = pg.execute(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'crmcli_ids_from_the_highest'"
        " ORDER BY 1"
    ).fetchall()
    assert len(numbered) == 15
    assert triggered == numbered


def _collations(pg: Any) -> dict[tuple[str, str], str | None]:
    rows = pg.execute(
        "SELECT c.table_name, c.column_name, c.collation_name FROM information_schema.columns c"
        " JOIN pg_tables t ON t.tablename = c.table_name AND t.schemaname = c.table_schema"
        " WHERE c.table_schema = current_schema() AND c.data_type = 'text'"
    ).fetchall()
    return {(table, column): collation for table, column, collation in rows}


def test_every_text_column_sorts_by_code_point_as_on_sqlite(pg) -> None:
    """m126: text sorts as in an SQLite file whatever the database's locale. A text
    column a later migration adds must say COLLATE "C" too: this names any that does not."""
    postgres_schema.apply_pending(pg)
    collations = _collations(pg)
    ours = {k: v for k, v in collations.items() if k[0] != postgres_schema.MARKER}
    assert len(ours) > 100
    unordered = [column for column, collation in ours.items() if collation != "C"]
    assert unordered == [], 'a new text column says `text COLLATE "C"` on PostgreSQL (see m126)'


def test_the_same_seeded_rows_as_on_sqlite(pg, tmp_path) -> None:
    postgres_schema.apply_pending(pg)
    db = open_db(tmp_path / "fresh.db")
    try:
        sqlite = db.execute("SELECT name, body, updated_at FROM templates ORDER BY name").fetchall()
    finally:
        db.close()
    server = pg.execute("SELECT name, body, updated_at FROM templates ORDER BY name").fetchall()
    assert len(sqlite) > 30
    assert server == sqlite


def test_concurrent_first_runs_migrate_once(pg_url: str) -> None:
    """Four tills starting at once on a new database: one migrates, three wait and find it done."""
    url = PostgresUrl(pg_url)
    conns = [postgres.connect(url) for _ in range(4)]
    start = threading.Barrier(len(conns))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def till(conn: Any) -> None:
        try:
            start.wait()
            results.append(postgres_schema.apply_pending(conn))
        except BaseException as exc:  # reported below, with the others' results
            errors.append(exc)

    threads = [threading.Thread(target=till, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert sorted(map(len, results)) == [0, 0, 0, len(migrations.names())]
        counts = (
            conns[0]
            .execute(f"SELECT name, count(*) FROM {postgres_schema.MARKER} GROUP BY name")
            .fetchall()
        )
        assert sorted(counts) == sorted((n, 1) for n in migrations.names())
    finally:
        for c in conns:
            c.close()


def test_another_applications_database_is_refused_unless_adopted(cli, pg, pg_url: str) -> None:
    pg.execute("CREATE TABLE orders (id int, note text)")
    refused = cli("--db", pg_url, "db", "migrate", ok=False)
    assert refused.exit_code == 1
    assert "not a crmcli database (it holds other tables: orders)" in refused.stderr
    assert postgres_schema.user_tables(pg) == ["orders"]
    with pytest.raises(ForeignDatabase):
        postgres.open_db(PostgresUrl(pg_url))
    cli("--db", pg_url, "db", "migrate", "--adopt")
    assert {"orders", "customers", postgres_schema.MARKER} <= set(postgres_schema.user_tables(pg))
    assert _collations(pg)[("orders", "note")] is None  # another application's: left as it was


def test_a_database_from_a_newer_crmcli_is_refused(pg) -> None:
    postgres_schema.apply_pending(pg)
    pg.execute(f"INSERT INTO {postgres_schema.MARKER} (name) VALUES ('m999_from_the_future')")
    pg.execute(f"DELETE FROM {postgres_schema.MARKER} WHERE name = 'm111_prospects'")
    with pytest.raises(DatabaseError, match="made by a newer crmcli"):
        postgres_schema.apply_pending(pg)


def test_a_migration_without_a_postgresql_form_leaves_the_database_untouched(pg) -> None:
    with (
        migrations.appended("m999_sqlite_only", lambda db: None),
        pytest.raises(DatabaseError, match="m999_sqlite_only has no PostgreSQL form"),
    ):
        postgres_schema.apply_pending(pg)
    assert postgres_schema.user_tables(pg) == []  # the baseline was rolled back with it


def _complaint_with_history(run) -> None:
    run(
        "INSERT INTO customers (id, name, created_at, updated_at) VALUES (1, 'Kim', 'x', 'x')",
        "INSERT INTO complaints (id, customer_id, summary, stage_since, opened_at)"
        " VALUES (1, 1, 'late', '2026-01-01', '2026-01-01')",
        "INSERT INTO complaint_events (id, complaint_id, at, to_stage, note, fields)"
        " VALUES (1, 1, '2026-01-01', 'received', 'called', '{\"cause\": \"late\", \"n\": 2}')",
    )


@pytest.mark.parametrize(
    ("forgotten", "statement", "allowed"),
    [
        (False, "DELETE FROM complaint_events", False),
        (False, "UPDATE complaint_events SET note = NULL", False),
        (True, "DELETE FROM complaint_events", False),
        (True, "UPDATE complaint_events SET to_stage = 'closed', note = NULL", False),
        (True, "UPDATE complaint_events SET note = NULL, fields = NULL", True),
        (True, "UPDATE complaint_events SET note = NULL, fields = '{\"n\": 2}'", True),
        (True, "UPDATE complaint_events SET note = NULL, fields = '{\"n\": 3}'", False),
        (True, "UPDATE complaint_events SET note = NULL, fields = '{\"x\": 1}'", False),
        (True, "UPDATE complaint_events SET note = NULL, fields = 'not json'", False),
    ],
)
def test_complaint_history_is_append_only_on_both_engines(
    db_url: str, engine: str, forgotten: bool, statement: str, allowed: bool
) -> None:
    """The same statements are refused (or allowed, to redact a forgotten person) on both."""
    if engine == "postgresql":
        conn = postgres.open_db(PostgresUrl(db_url))
        error: type[BaseException] = __import__("psycopg").Error

        def run(*statements: str) -> None:
            for s in statements:
                conn.execute(s)
    else:
        import sqlite3

        conn = open_db(db_url)
        error = sqlite3.DatabaseError

        def run(*statements: str) -> None:
            for s in statements:
                conn.execute(s)
            conn.conn.commit()

    try:
        _complaint_with_history(run)
        if forgotten:
            run("UPDATE customers SET forgotten_at = '2026-02-01'")
        if allowed:
            run(statement)
        else:
            with pytest.raises(error, match=postgres_schema.APPEND_ONLY):
                run(statement)
        count = conn.execute("SELECT count(*) FROM complaint_events").fetchone()[0]
        assert count == 1
    finally:
        conn.close()


# --- without a server ---


def test_every_migration_after_the_baseline_has_a_postgresql_form() -> None:
    """A new migration must say how it changes a server database too (a POSTGRESQL script)."""
    missing = []
    for name in migrations.names():
        if name not in postgres_schema.BASELINE:
            try:
                postgres_schema.postgresql_form(name)
            except DatabaseError:
                missing.append(name)
    assert missing == [], (
        'add POSTGRESQL = """…""" (the same change in PostgreSQL\'s terms, see '
        f"crmcli/postgres_schema.py) to crmcli/migrations/{missing[0]}.py"
    )


def test_a_migration_without_a_postgresql_form_is_named() -> None:
    with pytest.raises(DatabaseError, match="migration m999_x has no PostgreSQL form"):
        postgres_schema.postgresql_form("m999_x")


# --- text in code point order, whatever the server's database sorts by (m126) ---

# SQLite's order (code points): digits, upper case, lower case, Latin-1, Hangul, Han…
NAMES = ["김민준", "apple", "Zoe", "中村", "éclair", "Apple", "10", "9", "-x", "_y", "박", "zoe"]


def test_every_text_column_sorts_by_code_point_on_a_database_that_sorts_otherwise(
    cli, tmp_path
) -> None:
    import psycopg

    with pg_server.server().database(icu_locale="en-US") as url:
        with psycopg.connect(url, autocommit=True) as conn:  # the server's own order
            english = [r[0] for r in conn.execute(
                "SELECT x FROM unnest(%s::text[]) AS x ORDER BY x", [NAMES]
            )]  # fmt: skip
        assert english != sorted(NAMES)  # a database that really sorts otherwise
        file = str(tmp_path / "x.db")
        tags = [a for tag in ("vip", "VIP", "단골", "Apple", "10", "9") for a in ("--tag", tag)]
        for code, name in enumerate(NAMES):
            for db in (url, file):
                cli("--db", db, "customers", "add", "--name", name, "--code", f"N{code:02d}", *tags)
        with psycopg.connect(url, autocommit=True) as conn:
            shown = [r[0] for r in conn.execute("SELECT name FROM customers ORDER BY name")]
        assert shown == sorted(NAMES)
        # What a user reads: lists ordered by text give the same bytes as from the file.
        listed = ("customers", "list", "--fields", "code,name,tags", "--format", "csv")
        found = ("customers", "search", "apple", "--fields", "code,name,tags", "--format", "csv")
        for args in (listed, found):
            assert cli("--db", url, *args).stdout == cli("--db", file, *args).stdout


# --- db backup on a server ---


def test_db_backup_writes_a_pg_dump_archive(cli, pg_url: str, tmp_path) -> None:
    cli("--db", pg_url, "db", "migrate")
    target = tmp_path / "shop.dump"
    result = cli("--db", pg_url, "db", "backup", str(target))
    assert "a pg_dump archive (restore it with pg_restore)" in result.stderr
    assert target.read_bytes().startswith(b"PGDMP")
    assert target.stat().st_mode & 0o777 == 0o600
    again = cli("--db", pg_url, "db", "backup", str(target), ok=False)
    assert again.exit_code == 1  # an existing file is kept unless --force


def test_db_backup_of_a_database_without_crmcli_is_refused(cli, pg_url: str, tmp_path) -> None:
    result = cli("--db", pg_url, "db", "backup", str(tmp_path / "x.dump"), ok=False)
    assert result.exit_code == 1
    assert "no crmcli database at" in result.stderr
    assert not (tmp_path / "x.dump").exists()


def test_db_backup_keeps_the_password_off_pg_dumps_command_line(
    cli, pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in pg_dump records how it was called: the password only in its environment."""
    cli("--db", pg_url, "db", "migrate")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen"
    fake = bin_dir / "pg_dump"
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}.argv\nprintf "%s" "$PGPASSWORD" > {seen}.env\n'
        'for a in "$@"; do case "$a" in --file=*) : > "${a#--file=}";; esac; done\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    with_password = pg_url.replace("postgresql:///", "postgresql://postgres:s3cret@/", 1)
    result = cli("--db", with_password, "db", "backup", str(tmp_path / "x.dump"))
    assert "s3cret" not in result.stderr
    assert "s3cret" not in (tmp_path / "seen.argv").read_text()
    assert (tmp_path / "seen.env").read_text() == "s3cret"


# Without pg_dump, and `--as sqlite`: tests/test_db_copy.py (the SQLite file is a copy).


# --- SQLite's functions on PostgreSQL (m123): the same answers for the same values ---

SAME_ON_BOTH = [
    "SELECT julianday('2024-03-01')",
    "SELECT julianday('2024-03-01 12:30')",
    "SELECT julianday('1999-12-31') - julianday('1900-01-01')",
    "SELECT CAST(julianday('2024-03-01') - julianday('2024-02-01') AS INTEGER)",
    "SELECT date('2024-02-28', '+2 days')",
    "SELECT date('2024-03-01', '-1 days')",
    "SELECT date('2024-03-01 10:00', '5 days')",
    "SELECT date('2023-12-31', 1 || ' days')",
    "SELECT date(NULL, '+1 days')",
    "SELECT instr('mon,tue', 'tue'), instr('abc', 'z'), instr('1357', 5)",
    "SELECT max(3, 5), min(3, 5), max('b', 'a'), max(2, NULL), min(NULL, 2)",
    "SELECT max(date('2024-01-01', '+3 days'), '2024-01-02')",
    "SELECT group_concat(x) FROM (SELECT 'a' AS x UNION ALL SELECT NULL UNION ALL SELECT 'b') AS v",
    "SELECT group_concat(x) FROM (SELECT 'a' AS x) AS v WHERE 0 = 1",
    "SELECT total(x) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT -7) AS v",
    "SELECT total(x) FROM (SELECT 1 AS x) AS v WHERE 0 = 1",
]


@pytest.fixture
def migrated():
    conn = postgres.connect(PostgresUrl(pg_server.server().pool().fresh()))
    yield conn
    conn.close()


@pytest.mark.parametrize("sql", SAME_ON_BOTH)
def test_sqlites_functions_answer_the_same_on_postgresql(migrated, sql: str) -> None:
    pg = migrated
    sqlite = open_db(":memory:")
    try:
        expected = [tuple(_plain(v) for v in row) for row in sqlite.execute(sql).fetchall()]
    finally:
        sqlite.close()
    got = [tuple(_plain(v) for v in row) for row in pg.execute(sql).fetchall()]
    assert got == expected


def _plain(value: Any) -> Any:
    # SQLite answers a comparison with 1/0, PostgreSQL with true/false.
    return int(value) if isinstance(value, bool) else value


# --- several processes starting at once: the schema made (or brought up) once ---

TILL = """
import sys, time
import crmcli.cli, crmcli.postgres, crmcli.postgres_schema  # loaded before the start
from crmcli.__main__ import main
url, start, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
time.sleep(max(0.0, start - time.time()))
sys.argv = ["crmcli", "--db", url, "customers", "add", "--name", name]
main()
"""


def _tills_at_once(url: str, count: int) -> list[Any]:
    import subprocess
    import sys
    import time

    start = time.time() + 2.0  # every process has loaded crmcli by then: they open at once
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TILL, url, str(start), f"Till {n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(count)
    ]
    return [(p, *p.communicate(timeout=120)) for p in procs]


@pytest.mark.parametrize("made_at", [None, "m128_ids_as_sqlite_numbers"])
def test_processes_starting_at_once_migrate_a_server_database_once(
    pg_url: str, made_at: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four tills' first commands at the same moment, on a new database and on one an
    older crmcli made: every migration runs once, every till's customer is added."""
    if made_at is not None:
        with monkeypatch.context() as m:
            m.setattr(
                migrations, "_names", migrations.names()[: migrations.names().index(made_at) + 1]
            )
            postgres.open_db(PostgresUrl(pg_url)).close()
    ran = _tills_at_once(pg_url, 4)
    assert [p.returncode for p, _, _ in ran] == [0] * 4, ran
    assert all("Traceback" not in err for _, _, err in ran), ran
    conn = postgres.connect(PostgresUrl(pg_url))
    try:
        recorded = conn.execute(
            f"SELECT name, count(*) FROM {postgres_schema.MARKER} GROUP BY name ORDER BY min(id)"
        ).fetchall()
        assert recorded == [(name, 1) for name in migrations.names()]
        added = conn.execute("SELECT id, name FROM customers ORDER BY id").fetchall()
        assert [i for i, _ in added] == [1, 2, 3, 4]
        assert sorted(n for _, n in added) == [f"Till {n}" for n in range(4)]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE complaint_events",
        "TRUNCATE complaints CASCADE",
        "TRUNCATE customers CASCADE",
        "TRUNCATE purchases CASCADE",  # a complaint may name its purchase
        "TRUNCATE complaint_events, complaints",
    ],
)
def test_a_truncate_never_takes_complaint_history_away(pg_url: str, statement: str) -> None:
    """m136: a server's TRUNCATE skips row triggers; the history's own statement trigger
    refuses it in the guard's words, as SQLite refuses a DELETE. An empty history may go."""
    conn = postgres.open_db(PostgresUrl(pg_url))
    try:
        conn.execute(statement)  # no history yet: nothing is lost, nothing refused
        _complaint_with_history(lambda *sql: [conn.execute(s) for s in sql])
        with pytest.raises(__import__("psycopg").Error, match=postgres_schema.APPEND_ONLY):
            conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM complaint_events").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    finally:
        conn.close()
