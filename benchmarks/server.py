"""The main operations on both engines (issue 16): `run.py --engine postgresql|both`.

Each operation runs as a whole process on the size's SQLite database and on the same
shop on a PostgreSQL server, taking turns in the same run, so the ratio PostgreSQL /
SQLite is measured under the same load. The server's databases are made once per size,
untimed, by crmcli itself (`db migrate`, `db copy` of migrated SQLite copies), and each
import run starts from a fresh copy (`CREATE DATABASE … TEMPLATE`). The purchase
import is also raced against `psql \\copy` of the same file into a bare table (issue
16 item 5's target: at most 3×).

The URL given is an administrator's: it creates databases named
`crmcli_bench_<size>_<pid>_<random>_…`, its own (`own_prefix`): two runs on one server
(two trains' tests, a run by hand beside them) never drop or copy each other's. Every
database holding the run's prefix is dropped at the end, after a failure, Ctrl-C,
SIGTERM or SIGHUP too (`dropping_on_signals`); only a run killed outright (SIGKILL)
leaves its databases, which its pid in their names tells apart.
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from run import Bench

Case = tuple[str, list[str], Callable[[], Any] | None, Path | None]

SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"


def own_prefix(stem: str) -> str:
    """`stem` with this process's id and a random part: a name no other run uses, even
    one in another machine's process of the same id."""
    return f"{stem}_{os.getpid()}_{secrets.token_hex(3)}"


@contextlib.contextmanager
def dropping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run as an exception does (Ctrl-C already raises
    KeyboardInterrupt), so the `finally` that drops the run's databases runs on them too;
    the handlers before are restored after."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # Python lets only the main thread set handlers; that thread's run stops it
        return
    before = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """No signal interrupts what runs inside (a cleanup); one that came meanwhile is
    delivered after."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def database_url(admin_url: str, database: str) -> str:
    """The administrator's connection string with `database` in it, in the same form
    (a URL, or libpq's `key=value` words): what `--db` and psql take."""
    if admin_url.startswith(("postgresql://", "postgres://")):
        # Built by hand: urlunsplit drops the `//` of an empty host (`postgresql:///db`).
        parts = urlsplit(admin_url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}://{parts.netloc}/{database}{query}"
    from psycopg.conninfo import make_conninfo

    return make_conninfo(admin_url, dbname=database)


class Server:
    """The server named by an administrator's URL: this run's databases made, copied and
    dropped, each named `<prefix>_<name>` with a prefix no other run has."""

    def __init__(self, admin_url: str, size: str) -> None:
        self.admin_url = admin_url
        self.prefix = own_prefix(f"crmcli_bench_{size}")
        self.psql = shutil.which("psql")

    def url(self, name: str) -> str:
        """The admin's URL with database `name` in it (a URL: what `--db` takes)."""
        return database_url(self.admin_url, f"{self.prefix}_{name}")

    def sql(self, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def fresh(self, name: str, template: str | None = None) -> str:
        """Database `name`, new and empty (or a copy of database `template`): its URL."""
        self.sql(f"DROP DATABASE IF EXISTS {self.prefix}_{name} WITH (FORCE)")
        like = f" TEMPLATE {self.prefix}_{template}" if template else ""
        self.sql(f"CREATE DATABASE {self.prefix}_{name}{like}")
        return self.url(name)

    def made(self) -> list[str]:
        """Every database on the server this run made (by its prefix), whatever list of
        names the run kept: one created just before a failure is in it too."""
        rows = self.sql(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1",
            [f"{self.prefix}_"],
        )
        return [name for (name,) in rows]

    def drop_all(self) -> None:
        """Drop every database this run made, its own connections to them ended first;
        a signal waits until they are gone."""
        with signals_held():
            for name in self.made():
                self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _crmcli(bench: Bench, *args: str) -> None:
    """crmcli run untimed to build a database; its refusal stops the benchmark, shown."""
    from run import Failed

    done = subprocess.run([*bench.crmcli, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")


def compare(bench: Bench, admin_url: str) -> None:
    """Race the main operations on both engines; results and ratios go into `bench`.
    Every database made on the server is dropped at the end, whatever ends the run."""
    server = Server(admin_url, bench.size)
    with dropping_on_signals():
        try:
            _compare(bench, server)
        finally:
            server.drop_all()


def _compare(bench: Bench, server: Server) -> None:
    import load
    from run import AS_OF, DUE_DAYS, Target, generate

    # The templates: an empty shop, the shop's customers, the whole shop. The
    # SQLite files are copied from migrated scratch copies: `db copy` refuses a
    # source whose schema is older than this crmcli (a cache built before a
    # migration landed).
    _crmcli(bench, "--db", server.fresh("empty"), "db", "migrate")
    customers_db = bench.data / "customers-only.db"
    if not customers_db.exists():
        load.load(bench.data, customers_db, purchases=False)
    query_db = bench.fresh("query.db", bench.data / "query.db")
    customers_source = bench.fresh("customers-source.db", customers_db)
    for name, source in (("customers", customers_source), ("query", query_db)):
        _crmcli(bench, "db", "copy", str(source), server.fresh(name))
    query_url = server.url("query")
    empty_db = bench.fresh("empty-engine.db")
    _crmcli(bench, "--db", str(empty_db), "db", "migrate")

    def on_both(
        name: str,
        args: list[str],
        setups: tuple[Callable[[], str], Callable[[], str]] | None = None,
        references: Sequence[Case] = (),
        runs: int | None = None,
    ) -> None:
        """`name` on each engine (a setup giving the database for each run, or the
        query databases), taking turns; the second engine over the first."""
        cases = []
        for engine, target in ((SQLITE, str(query_db)), (POSTGRESQL, query_url)):
            setup = None
            if setups is not None:
                make = setups[0] if engine == SQLITE else setups[1]
                argv = [*bench.crmcli, "--db", "{db}", *args]
                setup, argv = _bound(make, argv)
            else:
                argv = [*bench.crmcli, "--db", target, *args]
            cases.append((f"{name} [{engine}]", argv, setup, None))
        bench.race([*cases, *references], runs=runs)
        bench.compare(f"{name} [{POSTGRESQL}]", f"{name} [{SQLITE}]")

    for kind, template, sqlite_template in (
        ("customers", "empty", empty_db),
        ("purchases", "customers", customers_db),
    ):
        csv_file = bench.data / f"{kind}.csv"
        references = []
        if kind == "purchases" and server.psql:
            references = _purchase_references(server, csv_file)
        on_both(
            f"{kind} import",
            [kind, "import", str(csv_file)],
            setups=(
                lambda k=kind, t=sqlite_template: str(bench.fresh(f"{k}-engine.db", t)),
                lambda t=template: server.fresh("run", t),
            ),
            references=references,
            runs=1 if bench.purchases > 250_000 else None,
        )
        if references:
            copied, floor = (case[0] for case in references)
            target = Target(3.0, "≤ 3× psql \\copy (issue 16 item 5)")
            bench.compare(f"purchases import [{POSTGRESQL}]", copied, target)
            bench.compare(f"purchases import [{POSTGRESQL}]", floor)
    top = generate.code(generate._buyer(0.0, bench.customers, 0, bench.customers // 3))
    window = ["--as-of", AS_OF, "--days", str(DUE_DAYS), "--format", "csv"]
    kinds = ["--kind", "birthday", "--kind", "followup"]
    for name, args in (
        ("customers search 민준 --limit 20", ["customers", "search", "민준", "--limit", "20"]),
        ("customers show (the biggest buyer)", ["customers", "show", top]),
        ("customers list --limit 50", ["customers", "list", "--limit", "50"]),
        ("tiers classify", ["tiers", "classify", "--as-of", AS_OF]),
        ("due (every kind)", ["due", *window]),
        ("due --kind birthday --kind followup", ["due", *kinds, *window]),
    ):
        on_both(name, args)


# run.py's sql_floor in PostgreSQL's words (the generated file's columns).
_FLOOR_INSERT = (
    "INSERT INTO purchases (customer_id, date, amount_micros, quantity, order_id, line_id,"
    " line_no, line_key, item, category, import_id, created_at)"
    " SELECT c.id, s.date, CAST(round(CAST(s.amount AS numeric) * 1000000) AS bigint),"
    " CAST(nullif(s.quantity, '') AS numeric), s.order_id, s.line_id,"
    " CAST(substr(s.line_id, strpos(s.line_id, '-') + 1) AS bigint), 'L:' || s.line_id,"
    " s.item, s.category, NULL, to_char(now(), 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " FROM bare s JOIN customers c ON c.code = s.customer"
)


def _purchase_references(server: Server, csv_file: Path) -> list[Case]:
    """`psql \\copy` of the file into a bare table (issue 16 item 5's reference) and, not a
    target, the floor for crmcli's schema on the server (as run.py's sql_floor on SQLite):
    the same rows into purchases with its keys and indexes, in SQL alone."""
    assert server.psql is not None
    header = csv_file.open(encoding="utf-8").readline()
    table = ", ".join(f'"{c}" text' for c in next(csv.reader([header])))
    copy = f"\\copy bare FROM '{csv_file}' (FORMAT csv, HEADER)"
    bare, floor = server.fresh("bare"), server.url("floor")
    psql = [server.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"]

    def empty_bare() -> None:
        # (no NOTICE that the table is not there yet on the first run's stderr)
        _psql(
            server,
            bare,
            "SET client_min_messages = warning; DROP TABLE IF EXISTS bare;"
            f" CREATE TABLE bare ({table})",
        )

    def new_floor() -> None:
        server.fresh("floor", "customers")

    return [
        (
            "purchases: psql \\copy into a bare table [PostgreSQL]",
            [*psql, "-d", bare, "-c", copy],
            empty_bare,
            None,
        ),
        (
            "purchases: psql \\copy + INSERT into crmcli's schema [PostgreSQL]",
            [*psql, "-d", floor, "-c", f"CREATE TEMP TABLE bare ({table})", "-c", copy,
             "-c", _FLOOR_INSERT],
            new_floor,
            None,
        ),
    ]  # fmt: skip


def _psql(server: Server, url: str, statement: str) -> None:
    if server.psql is None:
        sys.exit("psql is needed (Debian: apt-get install postgresql-client)")
    subprocess.run([server.psql, "-X", "-q", "-d", url, "-c", statement], check=True)


def _bound(make: Callable[[], str], argv: list[str]) -> tuple[Callable[[], None], list[str]]:
    """A setup that makes the run's database, and the argv that names it: the same list,
    filled in by the setup before each run (`{db}` stands for the database)."""
    at = argv.index("{db}")
    live = list(argv)

    def setup() -> None:
        live[at] = make()

    setup()  # the argv shows a real database in the report
    return setup, live
