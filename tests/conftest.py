"""Every test runs away from the user's real database, at a fixed width, without colour.

Engines (issue 16): every test that touches storage — it takes `cli`, `db`, `db_path`,
`db_url` or `engine`, itself or through a fixture of its own — runs once per engine
chosen by `--engine` (sqlite, postgresql, all; default all): its CRMCLI_DB (hence `cli`)
and its `db` are a new SQLite file / in-memory database, or a PostgreSQL database in the
state of a new one (tests/pg_server.py's pool). A pure unit test (none of those) runs
once. A test or module that is SQLite's by nature (file bytes, PRAGMAs, WAL, the backup
API, killing the SQLite file's writer) says why: `sqlite_only("reason")`; one that needs
what PostgreSQL does not do yet says what and who is porting it: `pg_pending("reason")`
(its PostgreSQL run is a strict xfail, so it fails the suite once it passes).
A shop built once for a module's tests takes `module_db` (once per engine); a test of
the server itself takes `pg_url` (a new, empty database), and its one run is PostgreSQL's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pg_server
import pytest
from reliability_figures import FIGURES, Figures
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import Engine

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path | str:
    """Point CRMCLI_DB and the platform data dirs into tmp_path; no colour; 100 columns.

    CRMCLI_DB is a new file's path on SQLite, a new database's URL on PostgreSQL.
    """
    db_path: Path | str = tmp_path / "crmcli.db"
    # Read from the test's parameters, not asked for as a fixture: a test is run per
    # engine only when it needs storage (`engine` in its closure), and this fixture is
    # every test's.
    if _engine_of(request.node) == POSTGRESQL:
        db_path = pg_server.server().pool().fresh()
        monkeypatch.setattr(sqlite3, "connect", _refusing_the_url(sqlite3.connect, db_path))
    monkeypatch.setenv("CRMCLI_DB", str(db_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    # English whatever the developer's LANG (tests/test_i18n*.py choose languages themselves).
    monkeypatch.setenv("LANGUAGE", "en")
    return db_path


def _refusing_the_url(connect: Callable[..., Any], url: str) -> Callable[..., Any]:
    """sqlite3.connect, failing when a test hands it its PostgreSQL database's URL.

    Given that string, sqlite3 would quietly make an empty file of that name (or fail with
    "file is not a database"), and a test reading or writing the database that way would
    pass on PostgreSQL without having touched it.
    """

    def guarded(database: Any, *args: Any, **kwargs: Any) -> Any:
        if url.split("?")[0] in str(database):
            raise AssertionError(
                "this test opens its database with sqlite3 on the PostgreSQL run: use "
                'open_db(db_path) (both engines), or mark it sqlite_only("why")'
            )
        return connect(database, *args, **kwargs)

    return guarded


@pytest.fixture
def db_path(engine: str, _isolated: Path | str) -> Path | str:
    """This test's database: a new SQLite file's path, or a fresh PostgreSQL URL."""
    return _isolated


@pytest.fixture
def db(engine: str, _isolated: Path | str) -> Iterator[Engine]:
    """A fresh, migrated database for core tests: in memory, or the test's server one."""
    where = _isolated if engine == POSTGRESQL else ":memory:"
    database = open_db(parse(str(where), source="the test"))
    yield database
    database.close()


class Cli:
    """Runs the app in-process like a user would, with separate stdout and stderr."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True):
        result = self.runner.invoke(app, list(args), input=input)
        if ok:
            assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result


@pytest.fixture
def cli(engine: str) -> Cli:
    """The app, on this test's database (CRMCLI_DB): hence run once per engine."""
    return Cli()


# --- engines (issue 16): SQLite always; PostgreSQL when a server is there ---

SQLITE, POSTGRESQL = "sqlite", "postgresql"
ENGINES = (SQLITE, POSTGRESQL)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): a storage test SQLite's by nature (runs on SQLite only)"
    )
    config.addinivalue_line(
        "markers",
        "pg_pending(reason): what does not work on PostgreSQL yet, and who is porting it "
        "(its PostgreSQL run is a strict xfail: it fails the suite once it passes)",
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=(*ENGINES, "all"),
        default="all",
        help="Which database engine(s) the engine tests run on (default: all; PostgreSQL "
        "needs a server: CRMCLI_TEST_PG, or run under .ci/postgres).",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that touches storage runs once per engine chosen by --engine; the rest once.

    Touching storage is needing the `engine` fixture, directly or through any fixture:
    `cli`, `db`, `db_path` and `db_url` all take it, so one rule covers every test and
    every fixture a module builds on them, with no list to keep. A test on `pg_url` is
    the server's own: its one run is the PostgreSQL one.
    """
    if "engine" not in metafunc.fixturenames:
        return
    engines = ENGINES
    if "pg_url" in metafunc.fixturenames:
        # A test of the server itself (migrating, connecting, pg_dump) that also uses the
        # command line: it is the PostgreSQL run, and a second, SQLite, run would repeat it.
        engines = (POSTGRESQL,)
    only = metafunc.definition.get_closest_marker("sqlite_only")
    if only is not None:
        if not only.args or not str(only.args[0]).strip():
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: sqlite_only needs a reason")
        engines = (SQLITE,)
    # Module scope: a module's tests run on one engine, then on the other, so a fixture
    # built once per module (`module_db`) is built once per engine.
    metafunc.parametrize("engine", engines, indirect=True, scope="module")


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> str:
    """The engine this run of the test is on."""
    return request.param


@pytest.fixture(scope="module")
def module_db(engine: str) -> Iterator[Engine]:
    """A migrated database of the engine, shared by a module's tests (a shop built once
    and only read): in memory on SQLite, a new database on the server (dropped after)."""
    if engine == POSTGRESQL:
        with pg_server.server().database() as url:
            database = open_db(parse(url, source="the test"))
            yield database
            database.close()
    else:
        database = open_db(":memory:")
        yield database
        database.close()


def _engine_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("engine", SQLITE) if callspec else SQLITE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`pg_pending` makes a PostgreSQL run a strict xfail. Runs on engines not chosen by
    --engine are not run at all (nor counted as skips); under --engine sqlite, neither
    are tests that need a PostgreSQL server."""
    for item in items:
        pending = item.get_closest_marker("pg_pending")
        if pending is not None and _engine_of(item) == POSTGRESQL:
            item.add_marker(pytest.mark.xfail(reason=str(pending.args[0]), strict=True))
    chosen = config.getoption("engine")
    if chosen == "all":
        return
    keep, drop = [], []
    for item in items:
        on = _engine_of(item)
        needs_pg = "pg_url" in getattr(item, "fixturenames", ())
        (drop if on != chosen or (needs_pg and chosen == SQLITE) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped after): its URL."""
    with pg_server.server().database() as url:
        yield url


@pytest.fixture
def db_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where this test's database is on its engine: an SQLite path or a PostgreSQL URL."""
    if engine == "postgresql":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "engine.db")


# --- reliability figures (issue 8): tests record what they tried; the summary shows it ---


@pytest.fixture
def figures() -> Figures:
    return FIGURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    pg_server.close_pool()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    # Counted from the reports: a module's shared database (`module_db`) skips all its
    # tests with one call to the server check.
    skipped = sum(
        1
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and pg_server.SKIP_REASON in report.longrepr[2]
    )
    if skipped:
        terminalreporter.write_line(
            f"{skipped} PostgreSQL test(s) skipped: no server ({pg_server.HOW})"
        )
    lines = FIGURES.lines()
    if not lines:
        return
    terminalreporter.section("reliability figures")
    for line in lines:
        terminalreporter.write_line(line)
    saved = FIGURES.save(Path(config.rootpath))
    if saved:
        terminalreporter.write_line(f"(written to {saved})")
