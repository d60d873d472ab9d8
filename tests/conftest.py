"""Every test runs away from the user's real database, at a fixed width, without colour.

Engines (issue 16): a test module that says `pytestmark = pytest.mark.engines` runs each
of its tests once per engine chosen by `--engine` (sqlite, postgresql, all): its
CRMCLI_DB (`_isolated`, hence `cli`) and its `db` are an SQLite file / in-memory
database, or a PostgreSQL database in the state of a new one (tests/pg_server.py's
pool). A test there that is SQLite's by nature (PRAGMAs, WAL, file modes, the backup
API) says why: `@pytest.mark.sqlite_only("reason")`; one that does not work on
PostgreSQL yet says what is missing: `@pytest.mark.pg_pending("reason")` (a strict xfail).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> Path | str:
    """Point CRMCLI_DB and the platform data dirs into tmp_path; no colour; 100 columns.

    CRMCLI_DB is a new file's path on SQLite, a new database's URL on PostgreSQL.
    """
    db_path: Path | str = tmp_path / "crmcli.db"
    if engine == POSTGRESQL:
        db_path = pg_server.server().pool().fresh()
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


@pytest.fixture
def db_path(_isolated: Path | str) -> Path | str:
    return _isolated


@pytest.fixture
def db(request: pytest.FixtureRequest, engine: str) -> Iterator[Engine]:
    """A fresh, migrated database for core tests: in memory, or on the test's engine."""
    if request.node.get_closest_marker("engines") is None:
        database = open_db(":memory:")
    else:
        where = request.getfixturevalue("_isolated") if engine == POSTGRESQL else ":memory:"
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
def cli() -> Cli:
    return Cli()


# --- engines (issue 16): SQLite always; PostgreSQL when a server is there ---

SQLITE, POSTGRESQL = "sqlite", "postgresql"
ENGINES = (SQLITE, POSTGRESQL)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "engines: run each test once per engine chosen by --engine (CRMCLI_DB, db)"
    )
    config.addinivalue_line(
        "markers", "sqlite_only(reason): in an engines module, a test SQLite's by nature"
    )
    config.addinivalue_line(
        "markers",
        "pg_pending(reason): in an engines module, what does not work on PostgreSQL yet "
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
    """Tests of an `engines` module, and those taking `engine` or `db_url` themselves,
    run once per engine chosen by --engine; the rest once, on SQLite."""
    own = metafunc.definition._fixtureinfo.argnames  # the test function's own arguments
    if metafunc.definition.get_closest_marker("engines") is None and not (
        {"engine", "db_url"} & set(own)
    ):
        return
    engines = ENGINES
    only = metafunc.definition.get_closest_marker("sqlite_only")
    if only is not None:
        if not only.args or not str(only.args[0]).strip():
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: sqlite_only needs a reason")
        engines = (SQLITE,)
    metafunc.parametrize("engine", engines, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine this run of the test is on (SQLite for a test that runs once)."""
    return getattr(request, "param", SQLITE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`pg_pending` makes a PostgreSQL run a strict xfail. Runs on engines not chosen by
    --engine are not run at all (nor counted as skips); under --engine sqlite, neither
    are tests that need a PostgreSQL server."""
    for item in items:
        pending = item.get_closest_marker("pg_pending")
        callspec = getattr(item, "callspec", None)
        if pending is not None and callspec and callspec.params.get("engine") == POSTGRESQL:
            item.add_marker(pytest.mark.xfail(reason=str(pending.args[0]), strict=True))
    chosen = config.getoption("engine")
    if chosen == "all":
        return
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on = callspec.params.get("engine", SQLITE) if callspec else SQLITE
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
    if pg_server.skipped:
        terminalreporter.write_line(
            f"{pg_server.skipped} PostgreSQL test(s) skipped: no server ({pg_server.HOW})"
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
