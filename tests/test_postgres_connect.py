"""Connecting to a real PostgreSQL server: libpq's password sources, never a password shown."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pg_server
import psycopg
import pytest
from psycopg import sql

from crmcli import postgres
from crmcli.db_url import PostgresUrl, parse
from crmcli.errors import DatabaseError

PASSWORD = "till-p@ss wörd"  # an @, a space and a non-ASCII letter: quoting must hold


def _with_user(url: str, user: str, password: str | None = None) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("user="))
    netloc = user if password is None else f"{user}:{quote(password, safe='')}"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{netloc}@{host}", query=query))


@pytest.fixture
def till(pg_url: str) -> Iterator[str]:
    """A login role that must give a password (a member of .ci/postgres's crmcli_password)."""
    server = pg_server.server()
    name = f"till_{uuid.uuid4().hex[:8]}"
    with server.admin() as conn:
        has_rule = conn.execute(
            "SELECT 1 FROM pg_hba_file_rules WHERE '+crmcli_password' = ANY(user_name)"
        ).fetchone()
        if not has_rule:
            pytest.skip("this server does not ask crmcli_password's members for a password")
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE crmcli_password PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(PASSWORD)
            )
        )
    try:
        yield name
    finally:
        with server.admin() as conn:
            conn.execute(f"DROP ROLE IF EXISTS {name}")


def _whoami(url: str) -> str:
    with postgres.connect(PostgresUrl(url)) as conn:
        return conn.execute("SELECT current_user").fetchone()[0]


def test_a_fresh_database_answers_as_crmcli(pg_url: str) -> None:
    target = parse(pg_url)
    assert isinstance(target, PostgresUrl)
    with postgres.connect(target) as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("crmcli",)
        assert conn.autocommit  # transactions are taken explicitly


def test_the_password_in_the_url(pg_url: str, till: str) -> None:
    assert _whoami(_with_user(pg_url, till, PASSWORD)) == till


def test_a_wrong_password_is_refused_without_showing_it(pg_url: str, till: str) -> None:
    url = _with_user(pg_url, till, "wrong-s3cret")
    with pytest.raises(DatabaseError) as caught:
        _whoami(url)
    message = str(caught.value)
    assert "password authentication failed" in message
    assert "wrong-s3cret" not in message
    assert ":***@" in message


def test_pgpassword(pg_url: str, till: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert _whoami(_with_user(pg_url, till)) == till


def test_pgpass_in_the_home_folder(
    pg_url: str, till: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # the autouse fixture's HOME
    home.mkdir(exist_ok=True)
    pgpass = home / ".pgpass"
    secret = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    pgpass.write_text(f"*:*:*:{till}:{secret}\n", encoding="utf-8")
    pgpass.chmod(0o600)  # libpq ignores a .pgpass others can read
    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    assert _whoami(_with_user(pg_url, till)) == till


def test_a_service_from_the_service_file(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    parts = urlsplit(pg_url)
    query = dict(q.split("=", 1) for q in parts.query.split("&") if q)
    services = tmp_path / "pg_service.conf"
    services.write_text(
        f"[crm]\nhost={query['host']}\ndbname={parts.path.lstrip('/')}\n"
        f"user={query.get('user', 'postgres')}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    target = parse("service=crm")
    assert isinstance(target, PostgresUrl)
    with postgres.connect(target) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == parts.path.lstrip("/")


def test_an_unknown_service_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text("[other]\nhost=/nowhere\n", encoding="utf-8")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    with pytest.raises(DatabaseError, match=r'service=crm: .*"crm" not found'):
        postgres.connect(PostgresUrl("service=crm"))


def test_no_server_there_is_a_clear_error(tmp_path: Path) -> None:
    url = PostgresUrl(f"postgresql://till:s3cret@/crm?host={tmp_path}")
    with pytest.raises(DatabaseError) as caught:
        postgres.connect(url)
    assert "cannot connect" in str(caught.value)
    assert "s3cret" not in str(caught.value)


# --- the server's refusals in SQLite's words; numbers as SQLite answers them ---

REFUSED = [
    # (setup on both, the statement refused)
    ((), "INSERT INTO settings (key, value) VALUES ('k', NULL)"),
    (
        ("INSERT INTO settings (key, value) VALUES ('k', 'v')",),
        "INSERT INTO settings (key, value) VALUES ('k', 'w')",
    ),
    (
        (
            "INSERT INTO customers (code, name, search_key, created_at, updated_at)"
            " VALUES ('C1', 'A', 'a', 't', 't')",
        ),
        "INSERT INTO customers (code, name, search_key, created_at, updated_at)"
        " VALUES ('C1', 'B', 'b', 't', 't')",
    ),
    ((), "INSERT INTO customer_tags (customer_id, tag) VALUES (999, 'x')"),
    (
        (
            "INSERT INTO customers (id, name, search_key, created_at, updated_at)"
            " VALUES (1, 'A', 'a', 't', 't')",
            "INSERT INTO complaints (id, customer_id, summary, stage_since, opened_at)"
            " VALUES (1, 1, 's', 't', 't')",
            "INSERT INTO complaint_events (complaint_id, at, to_stage) VALUES (1, 't', 'received')",
        ),
        "UPDATE complaint_events SET note = 'changed'",
    ),
]


@pytest.fixture
def both(tmp_path):
    from crmcli.db import open_db

    url = PostgresUrl(pg_server.server().pool().fresh())
    pg = postgres.connect(url)
    sqlite = open_db(tmp_path / "same.db")
    yield url, pg, sqlite
    pg.close()
    sqlite.close()


@pytest.mark.parametrize(("setup", "refused"), REFUSED)
def test_a_refused_statement_says_what_sqlite_says(both, setup, refused) -> None:
    import sqlite3

    url, pg, sqlite = both
    for statement in setup:
        sqlite.execute(statement)
        pg.execute(statement)
    with pytest.raises(sqlite3.DatabaseError) as on_sqlite:
        sqlite.execute(refused)
    with pytest.raises(psycopg.Error) as on_pg:
        pg.execute(refused)
    said = postgres.translate(url, on_pg.value)
    assert str(said) == str(on_sqlite.value)
    assert isinstance(said, DatabaseError) and said.__cause__ is on_pg.value


def test_waiting_too_long_for_a_lock_is_sqlites_busy(both) -> None:
    url, pg, _sqlite = both
    pg.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')")
    holder = postgres.connect(url)
    try:
        holder.execute("BEGIN")
        holder.execute("UPDATE settings SET value = 'held' WHERE key = 'k'")
        pg.execute("SET lock_timeout = '50ms'")
        with pytest.raises(psycopg.Error) as waited:
            pg.execute("UPDATE settings SET value = 'mine' WHERE key = 'k'")
    finally:
        holder.close()
    # The words SQLite's writer is refused in after its wait (`engines.WRITE_WAIT_SECONDS`).
    assert str(postgres.translate(url, waited.value)) == (
        "the database is busy: another crmcli process has been writing for over 120 s; "
        "try again when it is done"
    )


def test_connections_wait_for_a_lock_as_long_as_sqlites_writer(both) -> None:
    _url, pg, _sqlite = both
    assert pg.execute("SHOW lock_timeout").fetchone()[0] == "2min"


def test_numbers_come_back_as_sqlite_gives_them(both) -> None:
    # One difference stays in the SQL: PostgreSQL's sum() of bigint is numeric, so
    # `sum(x) / 3` divides exactly there; SQL that wants integer division casts AS BIGINT
    # (INTEGER is 32 bits on PostgreSQL: a sum of micro-units overflows it).
    _url, pg, sqlite = both
    for statement in (
        "INSERT INTO customers (id, name, search_key, created_at, updated_at)"
        " VALUES (1, 'A', 'a', 't', 't')",
        "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
        " VALUES (1, '2024-01-01', 1500000, 't'), (1, '2024-01-02', 250001, 't')",
    ):
        sqlite.execute(statement)
        pg.execute(statement)
    query = (
        "SELECT sum(amount_micros), avg(amount_micros), count(*), max(amount_micros),"
        " CAST(sum(amount_micros) AS BIGINT) / 3, sum(amount_micros) * 1.0 / 4 FROM purchases"
    )
    expected = sqlite.execute(query).fetchone()
    got = pg.execute(query).fetchone()
    assert got == tuple(expected)
    assert [type(v) for v in got] == [type(v) for v in expected]


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("INSERT INTO customers (id, name) VALUES (?, ?)", "customers"),
        ('insert or ignore into "customer_tags" VALUES (?, ?)', "customer_tags"),
        ("INSERT INTO agenda_cache SELECT * FROM x", "agenda_cache"),
        ('INSERT INTO customers ("name", "id") VALUES (?, ?)', "customers"),
        ("INSERT INTO customers (name, search_key) VALUES (?, ?)", None),
        ("UPDATE customers SET id = 3", None),
        ("SELECT 1", None),
    ],
)
def test_which_inserts_may_set_ids_by_hand(sql: str, table: str | None) -> None:
    assert postgres.inserted_ids_table(sql) == table


def test_after_ids_given_by_hand_the_next_insert_follows_them(both) -> None:
    _url, pg, sqlite = both
    given = (
        "INSERT INTO customers (id, name, search_key, created_at, updated_at)"
        " VALUES (7, 'A', 'a', 't', 't')"
    )
    plain = (
        "INSERT INTO customers (name, search_key, created_at, updated_at)"
        " VALUES ('B', 'b', 't', 't') RETURNING id"
    )
    sqlite.execute(given)
    pg.execute(given)
    postgres.sync_identity(pg, "customers")
    assert pg.execute(plain).fetchone()[0] == 8
    postgres.sync_identity(pg, "customers")  # never backwards, nothing to do
    pg.execute("DELETE FROM customers WHERE id = 8")
    postgres.sync_identity(pg, "customers")
    # The highest id deleted is given again, as SQLite does (m128: from the highest id).
    assert pg.execute(plain).fetchone()[0] == 8
    postgres.sync_identity(pg, "settings")  # no identity: nothing to move


def test_psycopgs_own_log_stays_off_stderr() -> None:
    """A connection lost in the middle of a COPY (`db copy`, an import) was said twice:
    crmcli's error line, and psycopg's logger through logging's last resort: `error
    ignored terminating <psycopg.Copy [BAD] at 0x…>: the connection is lost`."""
    import subprocess
    import sys

    code = (
        "import logging; from crmcli import postgres; postgres.psycopg_module();"
        " logging.getLogger('psycopg').warning('error ignored terminating <psycopg.Copy>')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""


def test_a_role_that_may_not_migrate_gets_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A till connecting with a role of its own (tables granted, no CREATE in the schema),
    when the database waits for a migration: every command crashed with psycopg's
    traceback (`InsufficientPrivilege: permission denied for schema public`)."""
    import subprocess
    import sys

    server = pg_server.server()
    clerk = f"clerk_{uuid.uuid4().hex[:8]}"
    with server.admin() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(clerk)))
    try:
        with server.database() as url:
            with postgres.open_db(PostgresUrl(url)) as conn:  # crmcli's schema, up to date
                last = conn.execute(
                    "SELECT name FROM _crmcli_migrations ORDER BY id DESC LIMIT 1"
                ).fetchone()[0]
                conn.execute("DELETE FROM _crmcli_migrations WHERE name = %s", [last])
                for grant in (
                    "GRANT USAGE ON SCHEMA public TO {}",
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}",
                ):
                    conn.execute(sql.SQL(grant).format(sql.Identifier(clerk)))
            as_clerk = _with_user(url, clerk)
            env = {**os.environ, "HOME": str(tmp_path)}
            for command in (
                ["customers", "list"],
                ["customers", "add", "--name", "K"],
                ["db", "migrate"],
                ["db", "check"],
            ):
                done = subprocess.run(
                    [sys.executable, "-m", "crmcli", "--db", as_clerk, *command],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                assert done.returncode == 1, (command, done.stderr)
                assert "Traceback" not in done.stderr, (command, done.stderr)
                lines = done.stderr.splitlines()
                assert len(lines) == 1 or command == ["db", "check"], (command, done.stderr)
                if command != ["db", "check"]:  # check lists the pending migration
                    assert "permission denied for schema public" in lines[0], command
    finally:
        with server.admin() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(clerk)))
