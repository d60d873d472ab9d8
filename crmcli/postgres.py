"""The PostgreSQL side of storage: connecting to a server through psycopg 3.

psycopg is the optional extra `postgres` (`pip install 'crmcli[postgres]'`): an SQLite
user never needs it, so it is imported only when a PostgreSQL URL is opened, and its
absence is a message naming the extra, not a traceback. libpq does the connecting, so
the URL's password, `PGPASSWORD`, `~/.pgpass` and `service=` all work as they do for
psql; every message quoting the server goes through `PostgresUrl.scrub`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcli import postgres_schema
from crmcli.db_url import PostgresUrl
from crmcli.errors import DatabaseError, ForeignDatabase, NoDatabase

if TYPE_CHECKING:
    import psycopg

INSTALL_HINT = "pip install 'crmcli[postgres]'"
APPLICATION_NAME = "crmcli"  # what pg_stat_activity shows for crmcli's sessions
CONNECT_TIMEOUT_S = 10  # libpq waits forever by default for a host that does not answer


def psycopg_module() -> Any:
    """psycopg, or a `DatabaseError` naming the extra that installs it."""
    try:
        import psycopg
    except ImportError as exc:
        raise DatabaseError(
            f"a PostgreSQL database needs psycopg 3, which is not installed: {INSTALL_HINT}"
        ) from exc
    return psycopg


def connect(url: PostgresUrl) -> psycopg.Connection[Any]:
    """An autocommit connection (transactions are explicit, see `crmcli.engines`)."""
    psycopg = psycopg_module()
    try:
        given = psycopg.conninfo.conninfo_to_dict(url.conninfo)
    except psycopg.Error as exc:
        raise DatabaseError(f"{url}: not a valid PostgreSQL URL ({_first_line(url, exc)})") from exc
    extra: dict[str, Any] = {}
    if "application_name" not in given:
        extra["application_name"] = APPLICATION_NAME
    if "connect_timeout" not in given:
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        return psycopg.connect(url.conninfo, autocommit=True, **extra)
    except psycopg.Error as exc:
        raise DatabaseError(f"{url}: cannot connect: {_first_line(url, exc)}") from exc


def explain(url: PostgresUrl, exc: BaseException) -> str:
    """A server error as one line for the user, the password masked."""
    return f"{url}: {_first_line(url, exc)}"


def _first_line(url: PostgresUrl, exc: BaseException) -> str:
    # libpq's messages run over several lines (`connection to server … failed: FATAL: …`
    # then a DETAIL): the first line names the cause.
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return url.scrub(lines[0] if lines else type(exc).__name__)


def open_db(url: PostgresUrl, *, migrate: bool = True, adopt: bool = False) -> Any:
    """Connect for crmcli's use: refuse another application's database, schema up to date.

    As with an SQLite file, a database holding other tables and no crmcli schema is
    left alone unless `adopt` is asked for (`db migrate --adopt`).
    """
    conn = connect(url)
    try:
        tables = postgres_schema.user_tables(conn)
        if tables and postgres_schema.MARKER not in tables and not adopt:
            shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
            raise ForeignDatabase(
                f"{url} is not a crmcli database (it holds other tables: {shown}); crmcli "
                "leaves it unchanged. Check --db / CRMCLI_DB, or run `crmcli db migrate "
                "--adopt` to add crmcli's tables to it"
            )
        if migrate:
            postgres_schema.apply_pending(conn)
    except psycopg_module().Error as exc:
        conn.close()
        raise DatabaseError(explain(url, exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def check(url: PostgresUrl, conn: Any) -> list[str]:
    """What keeps this database from being used as crmcli's; empty when healthy.

    The server enforces foreign keys and checksums its pages itself: what is left to
    check is that the schema is crmcli's and up to date.
    """
    if postgres_schema.MARKER not in postgres_schema.user_tables(conn):
        return [f"{url} holds no crmcli schema (run `crmcli db migrate`)"]
    pending = postgres_schema.pending_names(conn)
    return [f"migration {name} is not applied (run `crmcli db migrate`)" for name in pending]


def open_read(url: PostgresUrl) -> Any:
    """Open for a command that only reads: a database without crmcli's schema is an error.

    As on SQLite, a schema made by an older crmcli is brought up to date first.
    """
    conn = open_db(url, migrate=False)
    try:
        if postgres_schema.MARKER not in postgres_schema.user_tables(conn):
            raise NoDatabase(
                f"no crmcli database at {url}: it holds no crmcli schema (run `crmcli db "
                "migrate` once to create it, or check --db / CRMCLI_DB)"
            )
        postgres_schema.apply_pending(conn)
    except BaseException:
        conn.close()
        raise
    return conn
