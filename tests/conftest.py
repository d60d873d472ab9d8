"""Every test runs away from the user's real database, at a fixed width, without colour."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pg_server
import pytest
from reliability_figures import FIGURES, Figures
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.db import open_db
from crmcli.engines import Engine

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point CRMCLI_DB and the platform data dirs into tmp_path; no colour; 100 columns."""
    db_path = tmp_path / "crmcli.db"
    monkeypatch.setenv("CRMCLI_DB", str(db_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return db_path


@pytest.fixture
def db_path(_isolated: Path) -> Path:
    return _isolated


@pytest.fixture
def db() -> Iterator[Engine]:
    """A fresh, migrated in-memory database for core tests."""
    database = open_db(":memory:")
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

ENGINES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=(*ENGINES, "all"),
        default="all",
        help="Which database engine(s) the engine tests run on (default: all; PostgreSQL "
        "needs a server: CRMCLI_TEST_PG, or run under .ci/postgres).",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `engine` (or `db_url`) runs once per engine chosen by --engine."""
    if "engine" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("engine")
        metafunc.parametrize("engine", ENGINES if chosen == "all" else (chosen,))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under --engine sqlite, tests that need a PostgreSQL server are not run at all."""
    if config.getoption("engine") != "sqlite":
        return
    keep, drop = [], []
    for item in items:
        needs_pg = "pg_url" in getattr(item, "fixturenames", ())
        (drop if needs_pg else keep).append(item)
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
