"""The PostgreSQL server the tests may use, and a fresh database on it per test.

`CRMCLI_TEST_PG` names a server database whose user may create databases (`.ci/postgres`
starts a throwaway server and sets it). Without it, PostgreSQL tests are skipped on a
developer's machine (one line says so at the end of the run); under `CI=true` they fail:
CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

ENV_VAR = "CRMCLI_TEST_PG"
HOW = "run the suite under `.ci/postgres` (a throwaway server) or set CRMCLI_TEST_PG"


class Server:
    """The server named by CRMCLI_TEST_PG: creates and drops databases on it."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.skipped = 0

    def url_of(self, database: str) -> str:
        """The admin URL with another database name (a URL stays a URL, for the CLI)."""
        if self.admin_url.startswith(("postgresql://", "postgres://")):
            # Built by hand: urlunsplit drops the `//` of an empty host (`postgresql:///db`).
            parts = urlsplit(self.admin_url)
            query = f"?{parts.query}" if parts.query else ""
            return f"{parts.scheme}://{parts.netloc}/{database}{query}"
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.admin_url, dbname=database)

    def admin(self):  # -> psycopg.Connection
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A new, empty database for one test, dropped afterwards: its URL."""
        name = f"crmcli_test_{uuid.uuid4().hex[:12]}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield self.url_of(name)
        finally:
            with self.admin() as conn:
                # FORCE: a test that failed half-way may have left a connection open.
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_server: Server | None = None
_checked = False
skipped = 0  # PostgreSQL tests skipped for want of a server, for the closing line


def server() -> Server:
    """The server, checked once per run; skip (or, under CI, fail) when there is none."""
    global _server, _checked, skipped
    admin_url = os.environ.get(ENV_VAR, "")
    if not admin_url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {ENV_VAR} is not set: no PostgreSQL server ({HOW})")
        skipped += 1
        pytest.skip(f"no PostgreSQL server: {HOW}")
    if not _checked:
        _checked = True
        try:
            import psycopg
        except ImportError:
            pytest.fail(f"{ENV_VAR} is set but psycopg is not installed: pip install -e '.[test]'")
        try:
            psycopg.connect(admin_url, autocommit=True).close()
        except psycopg.Error as exc:
            pytest.fail(f"{ENV_VAR} is set but its server does not answer: {exc}")
        _server = Server(admin_url)
    if _server is None:  # the first check failed: every PostgreSQL test fails the same way
        pytest.fail(f"{ENV_VAR}: the server did not answer (see the first failure)")
    return _server
