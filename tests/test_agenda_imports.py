"""What a piped `crmcli due` loads (issue 17 item 3): read commands start fast.

A `due --format csv` run (cron's) draws no table, so it never imports rich nor the
table layout; with the holiday calendar cached in the database (the first run keeps
it), not the `holidays` package; no customer-editing code (`crmcli.customers`), and
no `importlib.resources` (with zipfile) to read the Japanese surnames a kanji name is
told by: the package's loader reads them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from crmcli import customers, purchases, settings
from crmcli.db import open_db

PROBE = """
import json, sys
sys.argv = ["crmcli", "--db", sys.argv[1], "due", "--as-of", "2026-09-20", "--days", "14",
            "--format", "csv", *sys.argv[2:]]
from crmcli.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
# Never for a piped listing.
NEVER = ("rich", "crmcli.cli.table", "holidays", "crmcli.customers", "importlib.resources")
# Issue 17 item 3: the core takes an engine over a raw sqlite3 connection; sqlite-utils
# (and with it pluggy and dateutil's parser) loads only when a migration has to run.
NOT_LOADED = ("sqlite_utils", "pluggy", "dateutil.parser")


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    db = open_db(path)
    settings.set_value(db, "holidays.greet", "all")
    settings.set_value(db, "holidays.country", "KR,US")
    # A kanji name is told Japanese by its surname (上原): the surnames file is read.
    people = [("김민준", "1985-09-25"), ("Ann Lee", "1990-09-22"), ("上原優", "1979-09-23")]
    for n, (name, born) in enumerate(people):
        cid = customers.add(db, name=name, code=f"C{n}", birthday=born, phones_raw=["010-1"])
        purchases.add(db, customer_id=cid, amount_micros=10_000_000, on=date(2026, 9, 1))
    # As a shop stored before locales were inferred: `due` tells each from the name.
    with db.write():
        db.execute("UPDATE customers SET locale = NULL, locale_source = NULL")
    db.close()
    return path


def _loaded(db: Path, *args: str) -> tuple[set[str], str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(db), *args], capture_output=True, text=True, check=True
    )
    modules = json.loads(run.stderr.strip().splitlines()[-1])
    return set(modules), run.stdout


def _hits(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


def test_a_piped_due_loads_no_table_renderer_nor_holiday_package(shop):
    first, listed = _loaded(shop)  # keeps the year's holidays in the database
    assert "추석" in listed or "Chuseok" in listed  # a holiday greeting is on the list
    assert "holidays" in first  # the first run of the year asks the package
    modules, again = _loaded(shop)
    assert again == listed
    assert _hits(modules, NEVER) == []


def test_a_piped_due_loads_no_sqlite_utils(shop):
    _loaded(shop)
    modules, _ = _loaded(shop)
    assert _hits(modules, NOT_LOADED) == []


# The rules only some kinds read (`crmcli.lazy`): an agenda of birthdays and promised
# calls has no use for them (issue 17: `due --kind birthday --kind followup` ≤ 3× a
# bare script, which imports nothing of the kind).
OTHER_KINDS_RULES = (
    "crmcli.complaints",
    "crmcli.public_holidays",
    "crmcli.relations",
    "crmcli.tiers",
    "crmcli.visits",
)


def test_an_agenda_of_some_kinds_loads_only_the_rules_those_kinds_read(shop):
    every, listed = _loaded(shop)  # every kind: holidays and visit plans are read
    assert {"crmcli.public_holidays", "crmcli.visits"} <= every
    some, birthdays = _loaded(shop, "--kind", "birthday", "--kind", "followup")
    assert _hits(some, OTHER_KINDS_RULES) == []
    assert birthdays.count("\n") == 4  # the header and the three customers' birthdays
    assert all(line in listed for line in birthdays.splitlines())
