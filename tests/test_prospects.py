"""Prospects get a timely call (issue 18 item 2, domain §4 seed 002): a customer with no
purchase is a prospect; one added by hand gets a first call, then a cadence, until they
buy or are marked lost; holiday greetings go to those who bought."""

from __future__ import annotations

import csv
import io

import pytest
import seeded_shop


def _csv(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def shop(cli, db_path):
    cli("customers", "add", "--name", "Ann Lee", "--code", "P1", "--phone", "010-1111-1111")
    cli("customers", "add", "--name", "Bob Kim", "--code", "B1", "--phone", "010-2222-2222")
    cli("purchases", "add", "B1", "-a", "10", "--on", "2026-02-01")
    # added on a known day
    seeded_shop.change(db_path, "UPDATE customers SET prospect_calls_from = '2026-03-01'")
    return cli


def _calls(cli, day, *args):
    return _csv(cli("due", "--as-of", day, "--kind", "prospect", "--fields",
                    "date,ref,why,key", *args))  # fmt: skip


def test_first_call_then_cadence_until_they_buy(shop):
    assert _calls(shop, "2026-03-02") == []
    rows = _calls(shop, "2026-03-03")
    assert [(r["date"], r["ref"], r["key"]) for r in rows] == [
        ("2026-03-03", "P1", "prospect:1:2026-03-03")
    ]  # B1 has bought: no prospect call
    assert "first call" in rows[0]["why"]
    assert len(_calls(shop, "2026-03-20")) == 1  # stays until dealt with
    shop("due", "done", "prospect:1:2026-03-03", "--on", "2026-03-04", "--note", "called")
    assert _calls(shop, "2026-03-10") == []
    again = _calls(shop, "2026-03-18")  # prospects.cadence (2w) after the call
    assert [r["key"] for r in again] == ["prospect:1:2026-03-18"]
    shop("config", "set", "prospects.cadence", "1w")
    assert [r["key"] for r in _calls(shop, "2026-03-11")] == ["prospect:1:2026-03-11"]
    shop("purchases", "add", "P1", "-a", "5", "--on", "2026-03-11")
    assert _calls(shop, "2026-03-30") == []


def test_added_on_dates_the_first_call(cli):
    cli("customers", "add", "--name", "Cho", "--code", "P9", "--added-on", "2026-01-10")
    rows = _calls(cli, "2026-01-12")
    assert [(r["ref"], r["date"]) for r in rows] == [("P9", "2026-01-12")]
    assert "added 2026-01-10" in rows[0]["why"]
    bad = cli("customers", "add", "--name", "Z", "--added-on", "2199-01-01", ok=False)
    assert bad.exit_code == 1 and "--added-on" in bad.stderr and "future" in bad.stderr
    bad = cli("customers", "add", "--name", "Z", "--added-on", "10/01/2026", ok=False)
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr
    assert cli("customers", "list", "--fields", "name").stdout.count("Z") == 0


def test_lost_and_undo_and_listing(shop):
    rows = _csv(shop("customers", "list", "--prospects"))
    assert [(r["code"], r["status"]) for r in rows] == [("P1", "prospect")]
    shop("customers", "edit", "P1", "--lost", "--reason", "bought elsewhere")
    assert _calls(shop, "2026-03-10") == []
    assert _csv(shop("customers", "list", "--prospects")) == []
    statuses = {r["code"]: r["status"] for r in _csv(shop("customers", "list"))}
    assert statuses == {"P1": "lost", "B1": "customer"}
    page = shop("customers", "show", "P1", "--format", "json").stdout
    assert "lost prospect" in page and "bought elsewhere" in page
    shop("customers", "edit", "P1", "--not-lost")
    assert len(_calls(shop, "2026-03-10")) == 1
    refused = shop("customers", "edit", "B1", "--lost", ok=False)
    assert refused.exit_code == 1 and "has bought" in refused.stderr
    bad = shop("customers", "edit", "P1", "--reason", "x", ok=False)
    assert bad.exit_code == 2


def test_imported_prospects_get_no_calls_until_asked(shop, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(
        "code,name,phone\n" + "".join(f"I{i},Person {i},010-5555-{i:04d}\n" for i in range(300)),
        encoding="utf-8",
    )
    shop("customers", "import", str(people))
    assert [r["ref"] for r in _calls(shop, "2026-03-10")] == ["P1"]  # not 300 more
    assert len(_csv(shop("customers", "list", "--prospects"))) == 301  # prospects all the same
    shop("customers", "edit", "I7", "--call-prospect")
    refs = [r["ref"] for r in _calls(shop, "2027-01-31")]
    assert sorted(refs) == ["I7", "P1"]


def test_holiday_greetings_go_to_customers_who_bought(shop):
    shop("config", "set", "holidays.greet", "all")
    shop("config", "set", "agenda.lead.holiday", "0d")
    rows = _csv(shop("due", "--as-of", "2026-12-25", "--kind", "holiday", "--fields", "ref"))
    assert [r["ref"] for r in rows] == ["B1"]
    shop("config", "set", "holidays.greet.prospects", "yes")
    rows = _csv(shop("due", "--as-of", "2026-12-25", "--kind", "holiday", "--fields", "ref"))
    assert sorted(r["ref"] for r in rows) == ["B1", "P1"]
