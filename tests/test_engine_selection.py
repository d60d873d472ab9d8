"""The suite's engine switch: PostgreSQL tests skip in one line on a laptop, fail in CI;
every test that touches storage runs once per engine, each on a database as new as a new
file, and a pure unit test once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pg_server
import pytest

from crmcli.db_url import PostgresUrl, parse

ROOT = Path(__file__).parent.parent
# One test that needs a server, one that runs on every engine chosen.
PG_ONLY = "tests/test_postgres_connect.py::test_a_fresh_database_answers_as_crmcli"
EACH_ENGINE = "tests/test_engines.py::test_upsert_inserts_then_updates"


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "CRMCLI_TEST_PG")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_without_a_server_postgresql_tests_skip_with_one_line() -> None:
    run = _pytest(PG_ONLY, EACH_ENGINE)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if "PostgreSQL test(s) skipped" in line]
    assert lines == [
        "2 PostgreSQL test(s) skipped: no server (run the suite under `.ci/postgres` "
        "(a throwaway server) or set CRMCLI_TEST_PG)"
    ]
    assert "1 passed, 2 skipped" in run.stdout  # the SQLite run of the engine test passed


def test_under_ci_a_missing_server_is_a_failure_not_a_skip() -> None:
    run = _pytest(PG_ONLY, CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CI=true but CRMCLI_TEST_PG is not set" in run.stdout
    summary = run.stdout.strip().splitlines()[-1]
    assert "1 error" in summary and "skipped" not in summary, summary


def test_a_server_that_does_not_answer_is_a_failure(tmp_path: Path) -> None:
    run = _pytest(PG_ONLY, CRMCLI_TEST_PG=f"postgresql:///postgres?host={tmp_path}")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CRMCLI_TEST_PG is set but its server does not answer" in run.stdout


def test_engine_sqlite_runs_no_postgresql_test() -> None:
    run = _pytest(PG_ONLY, EACH_ENGINE, "--engine", "sqlite")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 2 deselected" in run.stdout  # the PG-only test, the engine test's PG run
    assert "PostgreSQL test(s) skipped" not in run.stdout


# --- which tests run per engine, in a scratch copy of the suite's fixtures ---

MODULE = """
import os
import pytest


def test_each_engine(cli):
    print("DB", os.environ["CRMCLI_DB"].split("?")[0])


@pytest.fixture
def shop(db_path):  # a module's own fixture on storage: its tests touch storage too
    return db_path


def test_through_a_fixture(shop):
    print("SHOP", str(shop).split("?")[0])


def test_pure():
    print("PURE", os.environ["CRMCLI_DB"].split("?")[0])


@pytest.mark.sqlite_only("the file's mode bits")
def test_a_file(engine):
    assert engine == "sqlite"


def test_the_server_itself(cli, pg_url):  # the server's own test: its PostgreSQL run only
    print("OWN", os.environ["CRMCLI_DB"].split("?")[0])
"""


def _scratch(tmp_path: Path, module: str) -> Path:
    here = Path(__file__).parent
    for name in ("conftest.py", "pg_server.py", "reliability_figures.py"):
        shutil.copy(here / name, tmp_path / name)
    (tmp_path / "test_scratch.py").write_text(textwrap.dedent(module))
    return tmp_path


def _run_scratch(where: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return _pytest(
        "--rootdir", str(where), "-s", "-rA", str(where / "test_scratch.py"), *args, **env
    )


def test_storage_tests_run_on_each_engine_pure_ones_once_sqlite_only_says_why(
    tmp_path: Path,
) -> None:
    where = _scratch(tmp_path, MODULE)
    run = _run_scratch(where, "--engine", "sqlite")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "DB /" in run.stdout and "SHOP /" in run.stdout and "PURE /" in run.stdout
    for test in ("test_each_engine[sqlite]", "test_through_a_fixture[sqlite]", "test_pure\n"):
        assert f"test_scratch.py::{test}" in run.stdout, run.stdout
    assert "test_scratch.py::test_a_file[sqlite]" in run.stdout
    # The PostgreSQL runs of test_each_engine, test_through_a_fixture, test_the_server_itself.
    assert "4 passed, 3 deselected" in run.stdout
    assert "test_the_server_itself" not in run.stdout
    # Without a server, the PostgreSQL runs skip in one line; test_a_file and the pure
    # test have none.
    run = _run_scratch(where)
    assert "4 passed, 3 skipped" in run.stdout, run.stdout + run.stderr
    assert "3 PostgreSQL test(s) skipped: no server" in run.stdout


def test_a_module_shop_skipped_without_a_server_counts_each_test(tmp_path: Path) -> None:
    """`module_db` checks for the server once for all a module's PostgreSQL runs: the
    closing line still counts every test it skipped."""
    where = _scratch(
        tmp_path,
        """
        def test_one(module_db):
            assert module_db.execute("SELECT count(*) FROM customers").fetchone() == (0,)


        def test_two(module_db):
            pass
        """,
    )
    run = _run_scratch(where)
    assert "2 passed, 2 skipped" in run.stdout, run.stdout + run.stderr
    assert "2 PostgreSQL test(s) skipped: no server" in run.stdout


def test_sqlite_only_without_a_reason_is_refused(tmp_path: Path) -> None:
    where = _scratch(
        tmp_path,
        """
        import pytest


        @pytest.mark.sqlite_only
        def test_why_not(db):
            pass
        """,
    )
    run = _run_scratch(where)
    assert run.returncode != 0
    assert "test_why_not: sqlite_only needs a reason" in run.stdout + run.stderr


def test_on_postgresql_crmcli_db_is_a_server_database(tmp_path: Path) -> None:
    server = pg_server.server()
    where = _scratch(tmp_path, MODULE)
    run = _run_scratch(where, "--engine", "postgresql", CRMCLI_TEST_PG=server.admin_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "DB postgresql://" in run.stdout and "SHOP postgresql://" in run.stdout
    assert "test_scratch.py::test_the_server_itself[postgresql]" in run.stdout
    # The SQLite runs and the pure test (it runs once, on SQLite) are not run.
    assert "3 passed, 4 deselected" in run.stdout


# --- the pooled database: each test starts from a new database's state ---


@pytest.fixture
def pool() -> pg_server.Pool:
    return pg_server.server().pool()


def test_the_pool_empties_restarts_ids_and_reseeds(pool: pg_server.Pool) -> None:
    import psycopg

    url = pool.fresh()
    with psycopg.connect(url, autocommit=True) as conn:
        templates = conn.execute("SELECT count(*) FROM templates").fetchone()[0]
        assert templates > 0  # seeded, as on a new SQLite file
        first = _add_customer(conn)
        _add_customer(conn)
        complaint = conn.execute(
            "INSERT INTO complaints (customer_id, summary, stage_since, opened_at)"
            " VALUES (%s, 's', 't', 't') RETURNING id",
            [first],
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO complaint_events (complaint_id, at, to_stage)"
            " VALUES (%s, 't', 'received')",
            [complaint],
        )
        conn.execute("DELETE FROM templates")
    assert pool.fresh() == url
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("customers", "complaints", "complaint_events"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM templates").fetchone()[0] == templates
        assert _add_customer(conn) == first  # identities restart, as in a new file


def test_a_test_that_changed_the_schema_gets_a_new_database(pool: pg_server.Pool) -> None:
    import psycopg

    url = pool.fresh()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE customers ADD COLUMN scratch text")
    pool.fresh()
    with psycopg.connect(pool.url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'customers' AND column_name = 'scratch'"
        ).fetchone()[0]
    assert columns == 0


def test_a_connection_left_open_does_not_block_the_next_test(pool: pg_server.Pool) -> None:
    import psycopg

    url = pool.fresh()
    left = psycopg.connect(url)  # a transaction left open, holding a row lock
    left.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')")
    pool.fresh()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
    assert left.closed or left.broken or _is_dead(left)


def _is_dead(conn) -> bool:
    import psycopg

    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def _add_customer(conn) -> int:
    return conn.execute(
        "INSERT INTO customers (name, search_key, created_at, updated_at)"
        " VALUES ('A', 'a', 't', 't') RETURNING id"
    ).fetchone()[0]


def test_an_engines_test_gets_its_engines_database(engine: str, db_path, db) -> None:
    target = parse(str(db_path))
    assert isinstance(target, PostgresUrl) == (engine == "postgresql")
    assert db.name == engine
    assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
