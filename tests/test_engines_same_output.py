"""The same shop prints the same bytes on SQLite and on PostgreSQL (issue 16 item 1).

The rendering shop (long names in five scripts, every kind of record, made through the
command line with the clock fixed) is built on a new SQLite file and on a new PostgreSQL
database; every listing and page of tests/test_rendering.py then runs on both as a table
at 80 columns, as CSV and as JSON, and stdout, stderr and the exit code must be equal,
byte for byte: ordering, ties, money, dates and widths included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import seeded_shop
from test_rendering import LISTINGS, PAGES
from typer.testing import CliRunner

from crmcli import dates
from crmcli.cli import app

FORMATS = (("table", "80"), ("csv", "100"), ("json", "100"))


def _commands() -> list[tuple[str, ...]]:
    found = []
    for args in [args for args, _ in LISTINGS] + PAGES:
        plain = tuple(a for a in args if a not in ("--format", "table"))
        if plain[:2] != ("tiers", "classify"):  # writes: below
            found.append(plain)
    return found


def _run(db: Path | str, args: tuple[str, ...], columns: str, monkeypatch) -> tuple:
    monkeypatch.setenv("COLUMNS", columns)
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    stderr = result.stderr.replace(str(db), "DB")
    return result.exit_code, result.stdout, stderr


def test_every_listing_and_page_prints_the_same_on_both_engines(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows carry the moment they were written: the same moment on both builds.
    monkeypatch.setattr(dates, "now_utc", lambda: "2026-03-20T09:00:00+00:00")
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "pg").mkdir()
    shops = {
        "sqlite": seeded_shop.build_db(tmp_path / "sqlite"),
        "postgresql": seeded_shop.build_db(tmp_path / "pg", pg_url),
    }
    compared, differing = 0, []
    for args in _commands():
        for fmt, columns in FORMATS:
            line = (*args, "--format", fmt)
            said = {name: _run(db, line, columns, monkeypatch) for name, db in shops.items()}
            assert said["sqlite"][0] == 0, (line, said["sqlite"])
            compared += 1
            if said["sqlite"] != said["postgresql"]:
                differing.append((" ".join(line), said["sqlite"], said["postgresql"]))
    # Last, a command that writes: the same run, the same changes, on both.
    line = ("tiers", "classify", "--as-of", seeded_shop.AS_OF, "--format", "table")
    said = {name: _run(db, line, "80", monkeypatch) for name, db in shops.items()}
    if said["sqlite"] != said["postgresql"]:
        differing.append((" ".join(line), said["sqlite"], said["postgresql"]))
    compared += 1
    assert compared >= 60
    assert not differing, "\n\n".join(
        f"$ crmcli {line}\n--- sqlite\n{a}\n--- postgresql\n{b}" for line, a, b in differing
    )
