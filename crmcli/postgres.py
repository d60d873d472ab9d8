"""The PostgreSQL side of storage: connecting to a server through psycopg 3.

psycopg is the optional extra `postgres` (`pip install 'crmcli[postgres]'`): an SQLite
user never needs it, so it is imported only when a PostgreSQL URL is opened, and its
absence is a message naming the extra, not a traceback. libpq does the connecting, so
the URL's password, `PGPASSWORD`, `~/.pgpass` and `service=` all work as they do for
psql; every message quoting the server goes through `PostgresUrl.scrub`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from crmcli import postgres_schema
from crmcli.db_url import PostgresUrl
from crmcli.errors import DatabaseError, ForeignDatabase, NoDatabase, UsageError, busy_too_long
from crmcli.i18n import M_

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
            M_("a PostgreSQL database needs psycopg 3, which is not installed: {hint}").format(
                hint=INSTALL_HINT
            )
        ) from exc
    _quiet_psycopg_logger()
    return psycopg


@cache
def _quiet_psycopg_logger() -> None:
    # psycopg logs what it ignored while cleaning up after a failure (`error ignored
    # terminating <psycopg.Copy [BAD] at 0x…>: the connection is lost`); with no handler
    # configured, logging's last resort wrote it to stderr beside crmcli's own one line
    # for the same failure. A handler of its own keeps the failure said once.
    import logging  # here: an SQLite command never pays for it

    logging.getLogger("psycopg").addHandler(logging.NullHandler())


# The servers this process could not connect to. A command on a server that does not
# answer waits for it once, then says so in the user's language, whose setting is
# stored on that very server: `stored_setting` does not ask it again.
_unanswered: set[str] = set()


def connect(url: PostgresUrl, *, timeout: int = CONNECT_TIMEOUT_S) -> psycopg.Connection[Any]:
    """An autocommit connection (transactions are explicit, see `crmcli.engines`).

    `timeout`: seconds to wait for a server that does not answer, unless the URL says.
    """
    psycopg = psycopg_module()
    try:
        given = psycopg.conninfo.conninfo_to_dict(url.conninfo)
    except psycopg.Error as exc:  # `db_url.parse` refuses it first; a URL made otherwise
        raise UsageError(
            f"{url}: "
            + M_("not a valid PostgreSQL URL ({error})").format(error=_first_line(url, exc))
        ) from exc
    extra: dict[str, Any] = {}
    if "application_name" not in given:
        extra["application_name"] = APPLICATION_NAME
    if "connect_timeout" not in given:
        extra["connect_timeout"] = timeout
    if "options" not in given:
        # A writer waits for another's row locks as long as SQLite's writer waits for
        # the file's lock, then gets the same "busy" message rather than hanging.
        extra["options"] = f"-c lock_timeout={round(LOCK_TIMEOUT_S * 1000)}ms"
    try:
        conn = psycopg.connect(url.conninfo, autocommit=True, **extra)
    except psycopg.Error as exc:
        _unanswered.add(url.conninfo)
        raise DatabaseError(
            f"{url}: " + M_("cannot connect: {error}").format(error=_first_line(url, exc))
        ) from exc
    conn.adapters.register_loader("numeric", _numeric_loader())
    return conn


@cache
def _numeric_loader() -> Any:
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        """`numeric` as SQLite would answer: an int when whole (sum of bigint), else a float.

        PostgreSQL's sum() of bigint is numeric and avg() numeric with a scale; SQLite
        gives an integer and a real. Money is summed in integer micro-units, so a sum
        stays exact either way.
        """

        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            return float(text) if "." in text or "e" in text.lower() or "N" in text else int(text)

    return NumericLoader


class ServerError(DatabaseError):
    """A statement the server refused, in the words SQLite uses for the same refusal.

    `sqlstate` is the server's code (`23505` unique, `23503` foreign key, `P0001`…);
    `__cause__` is psycopg's own exception.
    """

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


BUSY = "the database is busy: another crmcli process is writing; try again"
# The server's codes for "another transaction is in the way", which SQLite reports as
# busy: a serialization failure, a deadlock.
BUSY_STATES = ("40001", "40P01")
# A lock not granted in `lock_timeout`: the write waited as long as SQLite's writer
# waits for the file's lock, and is refused in the same words.
LOCK_NOT_AVAILABLE = "55P03"
LOCK_TIMEOUT_S: float = 120  # as long as an SQLite writer waits (`engines.WRITE_WAIT_SECONDS`)


def translate(url: PostgresUrl, exc: BaseException) -> ServerError:
    """psycopg's error as SQLite's message for the same failure (`UNIQUE constraint
    failed: customers.code`, `FOREIGN KEY constraint failed`, the append-only guard's
    message, busy…), so a command says the same thing on both engines."""
    diag = getattr(exc, "diag", None)
    state = getattr(exc, "sqlstate", None)
    table = getattr(diag, "table_name", None)
    if state == "23505":  # unique_violation; DETAIL: Key (a, b)=(…) already exists.
        detail = getattr(diag, "message_detail", None) or ""
        columns = detail[detail.find("(") + 1 : detail.find(")")] if "(" in detail else ""
        named = ", ".join(f"{table}.{c.strip()}" for c in columns.split(",") if c.strip())
        message = f"UNIQUE constraint failed: {named or table}"
    elif state == "23503":
        message = "FOREIGN KEY constraint failed"
    elif state == "23502":
        message = f"NOT NULL constraint failed: {table}.{getattr(diag, 'column_name', None)}"
    elif state == "23514":
        message = f"CHECK constraint failed: {getattr(diag, 'constraint_name', None) or table}"
    elif state in BUSY_STATES:
        message = BUSY
    elif state == LOCK_NOT_AVAILABLE:
        message = busy_too_long(LOCK_TIMEOUT_S)
    elif state == "53100":
        message = "the disk is full; nothing was changed"
    elif state == "25006":
        message = "the database is read-only; nothing was changed"
    elif state is None:  # no answer from the server: lost, timed out, refused
        message = explain(url, exc)
    else:  # the trigger's own RAISE (append-only), and the rest: the server's first line
        primary = getattr(diag, "message_primary", None)
        message = url.scrub(primary) if primary else _first_line(url, exc)
    error = ServerError(message, state)
    error.__cause__ = exc
    return error


# An INSERT that may give ids itself: its column list names `id`, or it has none
# (`INSERT INTO t VALUES …`, `INSERT INTO t SELECT …`).
# A name with a schema (`temp.…`: a TEMP table of a read command) is none of crmcli's
# tables with an identity.
_INSERT = re.compile(
    r'^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+("?\w+"?\.)?"?(\w+)"?\s*(\(([^)]*)\))?',
    re.IGNORECASE,
)


def inserted_ids_table(sql: str) -> str | None:
    """The table whose ids `sql` may have set by hand, or None."""
    found = _INSERT.match(sql)
    if found is None or found.group(1) is not None:
        return None
    columns = found.group(4)
    if columns is None or "id" in (c.strip().strip('"').lower() for c in columns.split(",")):
        return found.group(2)
    return None


def sync_identity(conn: Any, table: str) -> None:
    """Move `table`'s id sequence past the ids rows were given by hand.

    SQLite's next rowid is max(rowid) + 1 whatever put it there; a PostgreSQL identity
    only counts what it handed out, so after `INSERT … (id, …)` (an undone import
    restoring customers, a merge putting rows back) the next plain insert would
    collide. Never moved backwards: another session may have taken ids meanwhile.
    """
    quoted = f'"{table}"'
    found = conn.execute(
        "SELECT pg_get_serial_sequence(%s, 'id') FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attname = 'id' AND NOT attisdropped",
        [quoted, quoted],
    ).fetchone()
    if found is None or found[0] is None:
        return  # no id column, or not an identity: nothing counts ids here
    conn.execute(
        "SELECT setval(%s, greatest(coalesce(q.last_value, 0), x.top))"
        f" FROM (SELECT max(id) AS top FROM {quoted}) AS x"
        " LEFT JOIN pg_sequences q ON format('%%I.%%I', q.schemaname, q.sequencename) = %s"
        " WHERE x.top IS NOT NULL",
        [found[0], found[0]],
    )


def explain(url: PostgresUrl, exc: BaseException) -> str:
    """A server error as one line for the user, the password masked."""
    return f"{url}: {_first_line(url, exc)}"


def _first_line(url: PostgresUrl, exc: BaseException) -> str:
    # libpq's messages run over several lines (`connection to server … failed: FATAL: …`
    # then a DETAIL): the first line names the cause.
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return url.scrub(lines[0] if lines else type(exc).__name__)


def open_db(
    url: PostgresUrl,
    *,
    migrate: bool = True,
    adopt: bool = False,
    role: str | None = None,
    on_wait: Callable[[], None] | None = None,
    said_after: float = 1.0,
) -> Any:
    """Connect for crmcli's use: refuse another application's database, schema up to date.

    As with an SQLite file, a database holding other tables and no crmcli schema is
    left alone unless `adopt` is asked for (`db migrate --adopt`). `role`: the argument
    that named it (`db copy`'s SRC, DEST), for that refusal's advice. `on_wait` is told
    once when another process's migration has been waited for `said_after` seconds.
    """
    conn = connect(url)
    try:
        tables = postgres_schema.user_tables(conn)
        if tables and postgres_schema.MARKER not in tables and not adopt:
            raise ForeignDatabase.of(url, tables, role=role)
        if migrate:
            postgres_schema.apply_pending(conn, on_wait=on_wait, said_after=said_after)
    except psycopg_module().Error as exc:
        conn.close()
        raise DatabaseError(explain(url, exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


LOOKUP_TIMEOUT_S = 2  # libpq's shortest wait: a setting read for a message's words


def stored_setting(url: PostgresUrl, key: str) -> str | None:
    """The value stored for setting `key` in the database at `url`, read only.

    For what is needed before the command opens its database (the language of a help
    screen, of a message): nothing is created or migrated, and None stands for "not
    stored" as well as "cannot be read" (psycopg missing, no server answering within
    `LOOKUP_TIMEOUT_S` — or at all when this process already failed to connect to it:
    one wait per command —, no crmcli schema there) — the command itself says what is
    wrong.
    """
    try:
        psycopg = psycopg_module()
    except DatabaseError:
        return None
    if url.conninfo in _unanswered:
        return None
    try:  # connect's refusals are DatabaseError; the query's (no such table) psycopg's
        with connect(url, timeout=LOOKUP_TIMEOUT_S) as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = %s", [key]).fetchone()
    except (DatabaseError, psycopg.Error):
        return None
    return row[0] if row and isinstance(row[0], str) else None


def check(url: PostgresUrl, conn: Any) -> list[str]:
    """What keeps this database from being used as crmcli's; empty when healthy.

    The server enforces foreign keys and checksums its pages itself: what is left to
    check is that the schema is crmcli's and up to date.
    """
    try:
        if postgres_schema.MARKER not in postgres_schema.user_tables(conn):
            return [f"{url} holds no crmcli schema (run `crmcli db migrate`)"]
        pending = postgres_schema.pending_names(conn)
    except psycopg_module().Error as exc:  # a role that may not read the schema's tables
        raise DatabaseError(explain(url, exc)) from exc
    return [f"migration {name} is not applied (run `crmcli db migrate`)" for name in pending]


def open_read(
    url: PostgresUrl, *, on_wait: Callable[[], None] | None = None, said_after: float = 1.0
) -> Any:
    """Open for a command that only reads: a database without crmcli's schema is an error.

    As on SQLite, a schema made by an older crmcli is brought up to date first (`on_wait`
    as in `open_db`).
    """
    conn = open_db(url, migrate=False)
    try:
        if postgres_schema.MARKER not in postgres_schema.user_tables(conn):
            raise NoDatabase(
                M_(
                    "no crmcli database at {url}: it holds no crmcli schema (run `crmcli db "
                    "migrate` once to create it, or check --db / CRMCLI_DB)"
                ).format(url=url)
            )
        migrate(url, conn, on_wait=on_wait, said_after=said_after)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(
    url: PostgresUrl,
    conn: Any,
    *,
    on_wait: Callable[[], None] | None = None,
    said_after: float = 1.0,
) -> list[str]:
    """`postgres_schema.apply_pending` (`on_wait` as there), names applied; what the
    server refuses (a role that may not create tables in the schema, as a till's own role
    may not) in one line, not a traceback."""
    try:
        return postgres_schema.apply_pending(conn, on_wait=on_wait, said_after=said_after)
    except psycopg_module().Error as exc:
        raise DatabaseError(explain(url, exc)) from exc
