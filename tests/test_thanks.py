"""A thank-you after each order (issue 18 item 1, domain §4: "after any purchase, thank
the customer"): one per order, `agenda.lead.thanks` after it, written by `greet`."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from crmcli import agenda, customers


def _csv(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def shop(cli):
    cli("config", "set", "shop.name", "Bean")
    cli("customers", "add", "--name", "김민수", "--code", "K1", "--phone", "010-1111-1111")
    cli("customers", "add", "--name", "John Smith", "--code", "J1", "--email", "j@x.com")
    cli("customers", "add", "--name", "山田太郎", "--code", "Y1", "--phone", "090-1111-2222",
        "--locale", "ja")  # fmt: skip
    # K1: one order of two lines; J1: two lines without an order id (two orders).
    cli("purchases", "add", "K1", "-a", "30000", "--on", "2026-03-09", "-i", "Kettle",
        "--order", "A-1")  # fmt: skip
    cli("purchases", "add", "K1", "-a", "20000", "--on", "2026-03-09", "-i", "Beans",
        "--order", "A-1")  # fmt: skip
    cli("purchases", "add", "J1", "-a", "5", "--on", "2026-03-09", "-i", "Pen")
    cli("purchases", "add", "J1", "-a", "7", "--on", "2026-03-10", "-i", "Ink")
    # Y1 bought years ago (an imported history): no thanks now.
    cli("purchases", "add", "Y1", "-a", "900", "--on", "2021-05-01", "-i", "Tea")
    return cli


def _due(shop, *args):
    return _csv(shop("due", "--as-of", "2026-03-10", "--kind", "thanks", "--fields",
                     "date,kind,ref,why,key,overdue_since", *args))  # fmt: skip


def test_one_thanks_per_order_the_day_after(shop):
    rows = _due(shop, "--days", "2")
    assert [(r["date"], r["ref"], r["key"]) for r in rows] == [
        ("2026-03-10", "J1", "thanks:2:#3"),
        ("2026-03-10", "K1", "thanks:1:A-1"),
        ("2026-03-11", "J1", "thanks:2:#4"),
    ]
    assert "order A-1: Kettle, Beans" in rows[1]["why"]
    assert "bought 2026-03-09" in rows[1]["why"]


def test_greet_writes_thanks_in_the_customers_language(shop):
    rows = _csv(shop("greet", "--as-of", "2026-03-10"))
    messages = {r["ref"]: r["message"] for r in rows}
    assert messages["K1"] == "김민수 고객님, 구매해 주셔서 진심으로 감사드립니다. Bean 드림"
    assert messages["J1"] == "Dear John Smith, thank you for your purchase (Pen)! Bean"
    assert "Y1" not in messages


def test_setting_off_minimum_amount_and_lead(shop):
    shop("config", "set", "thanks.min_amount", "10")
    assert [r["ref"] for r in _due(shop, "--days", "2")] == ["K1"]  # J1's 5 and 7 are small
    shop("config", "set", "thanks.min_amount", "0")
    shop("config", "set", "agenda.lead.thanks", "0d")
    rows = _due(shop)  # the same day: both of J1's and K1's, all due today
    assert {r["key"] for r in rows if r["date"] == "2026-03-10"} == {
        "thanks:1:A-1",
        "thanks:2:#3",
        "thanks:2:#4",
    }
    shop("config", "set", "thanks.enabled", "no")
    assert _due(shop, "--days", "7") == []
    bad = shop("config", "set", "thanks.min_amount", "1,000", ok=False)
    assert bad.exit_code in (1, 2) and "thanks.min_amount" in bad.stderr


def test_done_skip_mark_sent_and_grace(shop):
    shop("due", "done", "thanks:1:A-1", "--note", "called")
    shop("due", "skip", "thanks:2:#3")
    assert [r["key"] for r in _due(shop, "--days", "2")] == ["thanks:2:#4"]
    shop("greet", "--as-of", "2026-03-11", "--mark-sent")
    assert _due(shop, "--days", "2") == []
    again = shop("due", "done", "thanks:1:A-1", ok=False)
    assert again.exit_code == 1 and "already" in again.stderr


def test_grace_period_then_gone(shop):
    # Not dealt with: overdue from its day for agenda.greeting_grace (2d), then gone.
    rows = _csv(shop("due", "--as-of", "2026-03-12", "--kind", "thanks", "--fields",
                     "key,overdue_since"))  # fmt: skip
    assert {(r["key"], r["overdue_since"]) for r in rows} == {
        ("thanks:1:A-1", "2026-03-10"),
        ("thanks:2:#3", "2026-03-10"),
        ("thanks:2:#4", "2026-03-11"),
    }
    later = _csv(shop("due", "--as-of", "2026-03-13", "--kind", "thanks", "--fields", "key"))
    assert [r["key"] for r in later] == ["thanks:2:#4"]


def test_anonymous_sales_returns_and_old_history(db):
    customers.add(db, name="A", phones_raw=["010-1234-5678"])
    rows = [
        (None, "2026-03-09", 50_000_000, "X1"),  # anonymous: nobody to thank
        (1, "2026-03-09", 10_000_000, "R1"),
        (
            1,
            "2026-03-09",
            1_000_000,
            "K1",
        ),  # the one thanked: the rest must not be  # bought and returned in full: no thanks
        (1, "2026-03-09", -10_000_000, "R1"),
    ] + [(1, f"20{y}-03-09", 1_000_000, f"H{y}") for y in range(10, 26)]  # years of history
    for cid, day, micros, order in rows:
        db.execute(
            "INSERT INTO purchases (customer_id, date, amount_micros, order_id, created_at)"
            " VALUES (?, ?, ?, ?, '2026-03-09')",
            [cid, day, micros, order],
        )
    found = agenda.due(db, start=date(2026, 3, 10), end=date(2026, 3, 20), kinds=["thanks"])
    assert [e.item.key for e in found] == ["thanks:1:K1"]
