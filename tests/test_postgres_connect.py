"""Connecting to a real PostgreSQL server: libpq's password sources, never a password shown."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pg_server
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
