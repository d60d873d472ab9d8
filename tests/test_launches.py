"""Item launches and early adopters (issue 18 item 5)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from crmcli import buying, customers, launches, purchases, settings


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# (customer, day, item): "Old" is on sale when the records begin; Kettle and Grinder
# are launched later. A and B buy both early; C buys Kettle early and Grinder late.
LINES = [
    ("A", "2026-01-01", "Old"),
    ("B", "2026-01-05", "Old"),
    ("A", "2026-03-01", "Kettle"),
    ("B", "2026-03-31", "Kettle"),  # day 30 after the launch: still early
    ("C", "2026-03-02", "Kettle"),
    ("C", "2026-04-01", "Kettle"),
    ("A", "2026-06-01", "Grinder"),
    ("B", "2026-06-30", "Grinder"),
    ("C", "2026-07-02", "Grinder"),  # day 31: late
]


def _shop(db):
    ids = {}
    for code in "ABCD":
        ids[code] = customers.add(db, name=f"Person {code}", code=code)
    for code, day, item in LINES:
        purchases.add(
            db,
            customer_id=ids[code],
            amount_micros=10_000_000,
            on=date.fromisoformat(day),
            item=item,
        )
    return ids


@pytest.fixture
def shop(db):
    return _shop(db)


def test_launch_is_the_first_sale_unless_before_the_records(db, shop):
    found = {r["item"]: r for r in launches.items(db, as_of=date(2026, 11, 1))}
    assert found["Kettle"]["launched_on"] == "2026-03-01"
    assert found["Kettle"]["source"] == "first sale"
    assert found["Kettle"]["early_until"] == "2026-03-31"
    assert found["Kettle"]["early_buyers"] == 3
    assert found["Grinder"]["early_buyers"] == 2
    assert found["Old"]["source"] == "before records"
    assert found["Old"]["early_buyers"] is None


def test_early_adopters_bought_two_launches_early(db, shop):
    rows = list(launches.early_adopters(db, as_of=date(2026, 11, 1)))
    assert [(r["code"], r["launches"], r["items"]) for r in rows] == [
        ("A", 2, ["Grinder", "Kettle"]),
        ("B", 2, ["Grinder", "Kettle"]),
    ]


def test_as_of_knows_only_what_had_happened(db, shop):
    # On 15 June B has not bought the Grinder yet; A has.
    rows = list(launches.early_adopters(db, as_of=date(2026, 6, 15)))
    assert [r["code"] for r in rows] == ["A"]
    assert [r["item"] for r in launches.items(db, as_of=date(2026, 2, 1))] == ["Old"]


def test_a_launch_day_set_by_hand_wins(db, shop):
    launches.set_launch(db, item="Grinder", on=date(2026, 6, 20))
    found = {r["item"]: r for r in launches.items(db, as_of=date(2026, 11, 1))}
    assert (found["Grinder"]["source"], found["Grinder"]["early_buyers"]) == ("set", 2)
    # A bought before the launch day: no longer early for the Grinder.
    assert [r["code"] for r in launches.early_adopters(db, as_of=date(2026, 11, 1))] == ["B", "C"]
    assert launches.clear_launch(db, item="Grinder")
    assert not launches.clear_launch(db, item="Grinder")


def test_settings_change_the_window_and_the_count(db, shop):
    settings.set_value(db, "attitude.early_days", "29")
    assert [r["code"] for r in launches.early_adopters(db, as_of=date(2026, 11, 1))] == ["A"]
    settings.set_value(db, "attitude.early_launches", "1")
    codes = [r["code"] for r in launches.early_adopters(db, as_of=date(2026, 11, 1))]
    assert codes == ["A", "B", "C"]


def test_an_early_adopter_is_suggested_loyal(db, shop):
    # A year on, B and C are overdue by their rhythm; B is an early adopter all the same.
    later = date(2027, 6, 1)
    hint = buying.suggest_attitude(db, shop["B"], as_of=later)
    assert hint.early_adopter and hint.early == ("Grinder", "Kettle")
    assert hint.suggested == "loyal"
    assert "early adopter: bought Grinder, Kettle" in hint.why
    c = buying.suggest_attitude(db, shop["C"], as_of=later)
    assert not c.early_adopter and c.suggested == "brand-switching"
    listed = {r["code"]: r for r in buying.attitudes(db, as_of=later)}
    assert (listed["B"]["suggested"], listed["B"]["early_launches"]) == ("loyal", 2)
    assert (listed["C"]["suggested"], listed["C"]["early_launches"]) == ("brand-switching", 1)
    differs = {r["code"] for r in buying.attitudes(db, as_of=later, differs=True)}
    assert {"A", "B", "C"} <= differs


@pytest.mark.sqlite_only("SQLite's query plan (EXPLAIN QUERY PLAN)")
def test_the_queries_use_the_launch_index(db, shop):
    params = launches.params(db, as_of=date(2026, 11, 1))
    sql = f"EXPLAIN QUERY PLAN {launches.early_cte()} {launches.early_buys(db)}"
    plan = " ".join(str(r[3]) for r in db.execute(sql, params))
    assert "purchases_item_launch" in plan
    assert "SCAN p" not in plan.replace("SCAN purchases USING COVERING INDEX", "")


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def cli_shop(cli, db_path):
    from crmcli.db import open_db
    from crmcli.db_url import parse

    db = open_db(parse(str(db_path), source="the test"))  # SQLite or PostgreSQL
    _shop(db)
    db.close()
    return cli


def test_items_list_and_launch(cli_shop):
    rows = _csv(cli_shop("items", "list", "--as-of", "2026-11-01").stdout)
    assert [(r["item"], r["source"], r["early_buyers"]) for r in rows] == [
        ("Grinder", "first sale", "2"),
        ("Kettle", "first sale", "3"),
        ("Old", "before records", ""),
    ]
    said = cli_shop("items", "launch", "Espresso", "--on", "2026-12-01")
    assert "no purchase line names 'Espresso' yet" in said.stderr
    out = json.loads(cli_shop("items", "list", "--as-of", "2026-12-01", "--format", "json").stdout)
    assert out[0] == {
        "item": "Espresso", "launched_on": "2026-12-01", "source": "set", "first_sale": None,
        "early_until": "2026-12-31", "early_buyers": 0,
    }  # fmt: skip
    assert cli_shop("items", "launch", "Espresso", ok=False).exit_code == 2
    bad = cli_shop("items", "launch", "Espresso", "--on", "12/01/2026", ok=False)
    assert bad.exit_code == 1 and "--on must be YYYY-MM-DD" in bad.stderr


def test_early_adopters_and_who_bought_early(cli_shop):
    rows = _csv(cli_shop("customers", "early-adopters", "--as-of", "2026-11-01").stdout)
    assert [(r["code"], r["launches"], r["items"]) for r in rows] == [
        ("A", "2", "Grinder, Kettle"),
        ("B", "2", "Grinder, Kettle"),
    ]
    rows = _csv(cli_shop("customers", "who-bought", "--item", "grinder", "--early",
                         "--as-of", "2026-11-01").stdout)  # fmt: skip
    assert [r["code"] for r in rows] == ["A", "B"]
    rows = _csv(cli_shop("customers", "who-bought", "--item", "grinder").stdout)
    assert [r["code"] for r in rows] == ["A", "B", "C"]
    none = cli_shop("customers", "early-adopters", "--as-of", "2026-03-15")
    assert none.stdout == "" or none.stdout.count("\n") == 1
    assert "no early adopter yet" in none.stderr


def test_the_page_says_early_adopter(cli_shop):
    page = json.loads(
        cli_shop("customers", "show", "B", "--format", "json", "--as-of", "2026-11-01").stdout
    )
    assert page["tier"]["attitude"]["early_adopter"] is True
    assert page["tier"]["attitude"]["bought_early"] == ["Grinder", "Kettle"]
    before = json.loads(
        cli_shop("customers", "show", "B", "--format", "json", "--as-of", "2026-06-15").stdout
    )
    assert before["tier"]["attitude"]["early_adopter"] is False
    table = cli_shop("customers", "show", "B", "--format", "table", "--as-of", "2026-11-01")
    assert "early adopter: bought Grinder, Kettle" in " ".join(table.stdout.split())


def test_launch_needs_a_day_or_clear_and_says_what_it_did(cli):
    cli("customers", "add", "--name", "Ann", "--code", "A")
    cli("purchases", "add", "A", "--amount", "10", "--item", "Kettle", "--on", "2026-03-01")
    for args in ((), ("--on", "2026-02-01", "--clear")):
        result = cli("items", "launch", "Kettle", *args, ok=False)
        assert result.exit_code == 2 and "give --on DATE, or --clear" in result.stderr
    assert "was not set" in cli("items", "launch", "Kettle", "--clear").stderr
    cli("items", "launch", "Kettle", "--on", "2026-02-01")
    assert "forgotten" in cli("items", "launch", "Kettle", "--clear").stderr
    bad = cli("items", "launch", "Kettle", "--on", "1 Feb", ok=False)
    assert bad.exit_code == 1 and "--on must be YYYY-MM-DD" in bad.stderr


def test_items_of_an_empty_shop_say_so(cli):
    cli("customers", "add", "--name", "Ann")
    result = cli("items", "list", "--as-of", "2026-03-01")
    assert result.stdout.count("\n") <= 1  # a CSV header at most: no item
    assert "no item sold yet" in result.stderr
