"""`--db` / `CRMCLI_DB`: a path is SQLite, a PostgreSQL URL a server, anything else refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crmcli import postgres
from crmcli.db import resolve_db_path
from crmcli.db_url import PostgresUrl, parse
from crmcli.errors import DatabaseError, ExitStatus, UsageError


@pytest.mark.parametrize(
    "value",
    [
        "crm.db",
        "/srv/shop/crm.db",
        "./postgresql:crm",  # a path that merely looks like a scheme, written as a path
        "file:crm.db",  # no `//`: a file whose name has a colon, as it always was
        "crm=2024.db",  # `crm` is no libpq keyword: a file name
        "C:crm.db",
        "./jdbc:postgresql://db/crm",  # a path written as one, whatever it holds
    ],
)
def test_a_path_stays_an_sqlite_file(value: str) -> None:
    assert parse(value) == Path(value)


def test_a_path_starting_with_a_tilde_is_the_users_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/shop")
    assert parse("~/crm.db") == Path("/home/shop/crm.db")


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://till@db.example/crm",
        "postgres://db.example/crm",
        "postgresql:///crm?host=/var/run/postgresql",
        "postgresql://a.example,b.example/crm?target_session_attrs=read-write",
        "service=crm",
        "host=db.example dbname=crm user=till",
        "  dbname=crm",
    ],
)
def test_postgresql_urls_and_libpq_strings_name_a_server(value: str) -> None:
    target = parse(value)
    assert isinstance(target, PostgresUrl)
    assert target.conninfo == value.strip()  # handed to libpq as given: its whole syntax works


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("postgresql://till:s3cret@db/crm", "postgresql://till:***@db/crm"),
        ("postgres://till:p%40ss@db:5433/crm", "postgres://till:***@db:5433/crm"),
        (
            "postgresql://db/crm?user=till&password=s3cret&sslmode=require",
            "postgresql://db/crm?user=till&password=***&sslmode=require",
        ),
        ("host=db password=s3cret dbname=crm", "host=db password=*** dbname=crm"),
        ("host=db password = 'it\\'s s3cret' dbname=crm", "host=db password = *** dbname=crm"),
        ("postgresql://till@db/crm", "postgresql://till@db/crm"),
        # The forms libpq refuses are quoted in the refusal: masked all the same.
        ("POSTGRESQL://till:s3cret@db/crm", "POSTGRESQL://till:***@db/crm"),
        ("postgresql:till:s3cret@db/crm", "postgresql:till:***@db/crm"),
        ("jdbc:postgresql://till:s3cret@db/crm", "jdbc:postgresql://till:***@db/crm"),
        ("postgresql://db/crm?PASSWORD=s3cret&x=1", "postgresql://db/crm?PASSWORD=***&x=1"),
        ("postgresql://db/crm?sslpassword=s3cret", "postgresql://db/crm?sslpassword=***"),
        ("host=db PASSWORD=s3cret", "host=db PASSWORD=***"),
        ("host=db sslpassword=s3cret", "host=db sslpassword=***"),
        ("host=db password='s3cret dbname=crm", "host=db password=***"),  # unterminated
        ("postgresql://till:s3/cret@db/crm", "postgresql://till:***@db/crm"),
        (
            "postgresql://db/crm?application_name=a:b@c",
            "postgresql://db/crm?application_name=a:b@c",
        ),
    ],
)
def test_a_password_is_never_shown(value: str, shown: str) -> None:
    url = PostgresUrl(value)
    assert str(url) == shown
    assert f"{url}" == shown
    assert "s3cret" not in repr(url)  # a traceback's or a debug print's form too
    assert "s3cret" not in url.scrub(f"refused: {value}")


def test_a_server_message_quoting_the_password_is_scrubbed() -> None:
    url = PostgresUrl("postgresql://till:p%40ss@db/crm")
    message = url.scrub("could not connect with p@ss to postgresql://till:p%40ss@db/crm")
    assert "p@ss" not in message and "p%40ss" not in message
    assert "***" in message


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("mysql://till:s3cret@db/crm", "postgresql:// URL"),
        ("http://example.com/crm.db", "postgresql:// URL"),
        ("sqlite:///crm.db", "file's path"),
        ("file:///srv/crm.db", "file's path"),
    ],
)
def test_other_schemes_are_refused(value: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(value)
    message = str(caught.value)
    assert hint in message
    assert "s3cret" not in message
    assert caught.value.exit_status == ExitStatus.USAGE


def test_postgresql_without_slashes_is_refused_not_taken_for_a_file() -> None:
    with pytest.raises(UsageError, match="postgresql://USER@HOST/DATABASE"):
        parse("postgresql:crm")


def test_a_url_inside_another_scheme_is_refused_not_taken_for_a_file() -> None:
    # `jdbc:postgresql://db/crm` was a path: a write made ./jdbc:postgresql:/db/crm.
    with pytest.raises(UsageError, match=r"does not know jdbc:postgresql:// databases"):
        parse("jdbc:postgresql://db/crm")


def test_a_url_with_spaces_around_it_is_still_the_url() -> None:
    # ` postgresql://…` (pasted) was a path: a write made the folder ` postgresql:`.
    assert parse(" postgresql://till@db/crm") == PostgresUrl("postgresql://till@db/crm")
    assert parse("postgresql://till@db/crm\r\n") == PostgresUrl("postgresql://till@db/crm")
    assert parse("\tservice=crm ") == PostgresUrl("service=crm")
    with pytest.raises(UsageError, match="does not know mysql://"):
        parse(" mysql://db/crm")
    assert parse(" crm.db") == Path(" crm.db")  # a file's name is kept as given


def test_the_scheme_may_be_written_in_capitals() -> None:
    # RFC 3986 schemes are case-blind; libpq's test for one is not, so crmcli writes it
    # as libpq reads it.
    assert parse("POSTGRESQL://till@db/crm") == PostgresUrl("postgresql://till@db/crm")
    assert parse("Postgres://db/crm") == PostgresUrl("postgres://db/crm")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("postgresql://till:s3cret@db:54x2/crm", 'invalid integer value "54x2"'),
        ("postgresql://till:s3cret@db:99999/crm", 'invalid port number: "99999"'),
        ("postgresql://a:5432,b:x/crm?password=s3cret", 'invalid integer value "x"'),
        ("postgresql://till:s3cret@db/crm?nosuch=1", 'invalid URI query parameter: "nosuch"'),
        ("postgresql://till:s3cret@db/crm?PASSWORD=s3cret", '"PASSWORD"'),
        ("postgresql://till:s3cret@[::1/crm", 'matching "]"'),
        ("postgresql://till:s3cret@db/cr%zz", "invalid percent-encoded token"),
        ("host=db nosuch=1 password=s3cret", 'invalid connection option "nosuch"'),
        ("Host=db password=s3cret", 'invalid connection option "Host"'),
        ("host=db password='s3cret", "unterminated quoted string"),
        ("host=db PASSWORD=s3cret", 'invalid connection option "PASSWORD"'),
        # libpq would read `s3` as the port and `cret@db/crm` as the database
        ("postgresql://till:s3/cret@db/crm", "a / in the user name or password is written %2F"),
    ],
)
def test_a_url_libpq_cannot_read_is_a_usage_error_naming_what_is_wrong(
    value: str, said: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(value, source="CRMCLI_DB")
    message = str(caught.value)
    assert message.startswith("CRMCLI_DB: ")
    assert "not a valid PostgreSQL URL" in message and said in message
    assert "s3cret" not in message
    assert caught.value.exit_status == ExitStatus.USAGE


def test_the_environment_variable_is_named_in_its_error() -> None:
    with pytest.raises(UsageError, match=r"^CRMCLI_DB: mysql://"):
        resolve_db_path(None, {"CRMCLI_DB": "mysql://db/crm"})
    assert resolve_db_path(None, {"CRMCLI_DB": "service=crm"}) == PostgresUrl("service=crm")


# --- at the command line ---


@pytest.mark.parametrize("where", ["option", "environment"])
def test_a_url_of_another_scheme_creates_no_file_and_exits_2(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Issue 16: `--db mysql://…` once created `./mysql:/…` silently; now exit 2, nothing made."""
    monkeypatch.chdir(tmp_path)
    url = "mysql://till:s3cret@db.example/crm"
    if where == "option":
        result = cli("--db", url, "customers", "add", "--name", "Kim", ok=False)
    else:
        monkeypatch.setenv("CRMCLI_DB", url)
        result = cli("customers", "add", "--name", "Kim", ok=False)
    assert result.exit_code == 2, result.stderr
    assert "does not know mysql:// databases" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    assert not (tmp_path / "mysql:").exists()
    assert result.stdout == ""


@pytest.mark.parametrize(
    "url",
    [
        "postgresql:till:s3cret@db.example/crm",
        "POSTGRESQL://till:s3cret@db.example:5x/crm",
        "jdbc:postgresql://till:s3cret@db.example/crm",
        "postgresql://db.example/crm?PASSWORD=s3cret",
        "host=db.example PASSWORD=s3cret",
        "Host=db.example password='s3cret",
        " mysql://till:s3cret@db.example/crm",
    ],
)
def test_a_malformed_url_exits_2_creates_nothing_and_never_shows_its_password(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("--db", url, "customers", "add", "--name", "Kim", ok=False)
    assert result.exit_code == 2, result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert list(work.iterdir()) == []


def test_db_path_prints_the_url_with_its_password_masked(cli) -> None:
    result = cli("--db", "postgresql://till:s3cret@db.example/crm", "db", "path")
    assert result.stdout == "postgresql://till:***@db.example/crm\n"


def test_without_psycopg_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(DatabaseError, match=r"pip install 'crmcli\[postgres\]'"):
        postgres.connect(PostgresUrl("postgresql://db.example/crm"))
