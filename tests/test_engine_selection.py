"""The suite's engine switch: PostgreSQL tests skip in one line on a laptop, fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert "1 passed, 1 deselected" in run.stdout
    assert "PostgreSQL test(s) skipped" not in run.stdout
