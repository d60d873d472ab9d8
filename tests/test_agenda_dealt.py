"""Overdue and urgent first; each item said until dealt with, then never again (issue 12 item 4)."""

from __future__ import annotations

import csv
import io

import pytest

from crmcli.db import open_db
from crmcli.db_url import parse


def _csv(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def shop(cli, db_path):
    cli("config", "set", "shop.name", "Bean")
    cli("config", "set", "agenda.lead.birthday", "3d")
    # K1: a complaint, a promised call-back; K2: a purchase (after-sale check on the 8th);
    # K3: a birthday on the 12th; K4: a tier A customer never contacted since 2024.
    cli("customers", "add", "--name", "Kim Minjun", "--code", "K1", "--phone", "010-1111-1111")
    cli("customers", "add", "--name", "Lee Seoyeon", "--code", "K2", "--phone", "010-2222-2222")
    cli("customers", "add", "--name", "Park Jiho", "--code", "K3", "--phone", "010-3333-3333",
        "--birthday", "1990-03-12")  # fmt: skip
    cli("customers", "add", "--name", "Choi Yuna", "--code", "K4", "--phone", "010-4444-4444")
    cli("customers", "set-tier", "K4", "A", "--reason", "wholesale")
    cli("complaints", "open", "K1", "--summary", "grinder noise", "--on", "2026-03-05")
    cli("followups", "add", "K1", "--on", "2026-03-09", "--note", "call back with the quote")
    cli("purchases", "add", "K2", "--amount", "300", "--on", "2026-03-01", "--item", "Kettle")
    # Customers entered long ago (the visit clock starts at creation without a contact).
    database = open_db(parse(str(db_path), source="the test"))  # SQLite or PostgreSQL
    with database.write():
        database.execute("UPDATE customers SET created_at = '2024-01-01T09:00:00'")
    database.close()
    return cli


def _due(shop, *args):
    return _csv(shop("due", "--as-of", "2026-03-10", "--fields",
                     "date,kind,ref,why,key,overdue_since", *args))  # fmt: skip


def test_overdue_and_urgent_first_each_saying_since_when(shop):
    shop("followups", "add", "K2", "--on", "2026-03-13", "--note", "invite to the tasting")
    shop("followups", "add", "K3", "--on", "2026-03-12", "--note", "delivery slot")
    rows = _due(shop, "--days", "5")
    today = [r for r in rows if r["date"] == "2026-03-10"]
    # Overdue complaint stage, promised call-back, after-sale check, the greeting whose
    # day is near (the 12th, due since the 9th), then the tier visit, however old.
    assert [r["kind"] for r in today] == [
        "complaint", "followup", "after-sale", "birthday", "visit"
    ]  # fmt: skip
    for r in today:
        assert r["overdue_since"] and r["why"].endswith(f"(overdue since {r['overdue_since']})")
    assert {r["overdue_since"] for r in today if r["kind"] == "after-sale"} == {"2026-03-08"}
    later = [(r["date"], r["ref"]) for r in rows if r["date"] != "2026-03-10"]
    assert later == [("2026-03-12", "K3"), ("2026-03-13", "K2")]  # then by date


def test_sort_date_keeps_the_plain_date_order(shop):
    rows = _due(shop, "--sort", "date")
    days = [r["overdue_since"] or r["date"] for r in rows]
    assert days == sorted(days)
    assert rows[0]["kind"] == "visit"  # the oldest: K4's visit fell due years ago


def test_a_greeting_near_its_day_comes_before_visits(shop):
    rows = _due(shop, "--as-of", "2026-03-11")  # later --as-of wins
    kinds = [r["kind"] for r in rows]
    assert kinds.index("birthday") < kinds.index("visit")


def test_done_and_skip_are_recorded_and_never_come_back(shop):
    rows = _due(shop)
    keys = {r["kind"]: r["key"] for r in rows}
    assert keys["followup"].startswith("followup:") and keys["visit"].startswith("visit:")
    done = shop("due", "done", keys["after-sale"], "--note", "works fine", "--on", "2026-03-10")
    assert "done: " + keys["after-sale"] in done.stderr
    shop("due", "skip", keys["visit"], "--reason", "on holiday", "--on", "2026-03-10")
    shop("due", "done", keys["followup"], "--channel", "call", "--on", "2026-03-10")
    left = {r["kind"] for r in _due(shop)}
    assert left == {"complaint", "birthday"}
    for day in ("2026-03-11", "2026-03-20"):
        kinds = {r["kind"] for r in _due(shop, "--as-of", day)}
        assert not kinds & {"after-sale", "followup"}, day
    page = shop("customers", "show", "K2", "--format", "json").stdout
    assert "done: after-sale check (2026-03-01) — works fine" in page
    page = shop("customers", "show", "K4", "--format", "json").stdout
    assert "skipped: visit due" in page and "on holiday" in page
    listed = _csv(shop("followups", "list", "--all", "--fields", "id,status"))
    assert listed == [{"id": keys["followup"].split(":")[1], "status": "done"}]


def test_a_skipped_visit_restarts_its_clock_a_skipped_greeting_does_not(shop):
    [visit] = [r for r in _due(shop) if r["kind"] == "visit"]
    shop("due", "skip", visit["key"], "--on", "2026-03-10")
    # Tier A: a month after the skip the visit is due again, under a new key.
    [again] = [r for r in _due(shop, "--as-of", "2026-04-10") if r["kind"] == "visit"]
    assert again["key"] != visit["key"]
    [birthday] = _due(shop, "--as-of", "2026-03-09", "--kind", "birthday")
    shop("due", "skip", birthday["key"], "--on", "2026-03-09")
    assert [r for r in _due(shop, "--as-of", "2026-04-10") if r["ref"] == "K3"] == []


def test_bad_keys_are_refused_and_nothing_is_written(shop):
    [complaint] = [r for r in _due(shop) if r["kind"] == "complaint"]
    [sale] = [r for r in _due(shop) if r["kind"] == "after-sale"]
    for bad in ("nonsense", "birthday:999:2026-03-12", "birthday:1:someday", "followup:77"):
        result = shop("due", "done", sale["key"], bad, ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.stderr, bad
    refused = shop("due", "done", complaint["key"], ok=False)
    assert refused.exit_code == 1 and "complaints advance" in refused.stderr
    assert sale["key"] in {r["key"] for r in _due(shop)}  # nothing half-written
    shop("due", "done", sale["key"])
    twice = shop("due", "done", sale["key"], ok=False)
    assert twice.exit_code == 1 and "already dealt with" in twice.stderr
    assert shop("due", "done", ok=False).exit_code == 2  # no key at all


def test_greet_mark_sent_records_what_it_wrote(shop):
    first = _csv(shop("greet", "--as-of", "2026-03-09", "--mark-sent"))
    assert [r["ref"] for r in first] == ["K3"]
    assert shop("greet", "--as-of", "2026-03-10").stdout == ""
    assert [r for r in _due(shop, "--as-of", "2026-03-12") if r["kind"] == "birthday"] == []
    page = shop("customers", "show", "K3", "--format", "json").stdout
    assert "sent: birthday 2026-03-12" in page and "Happy birthday" in page


def test_greet_without_mark_sent_says_it_again(shop):
    assert len(_csv(shop("greet", "--as-of", "2026-03-09"))) == 1
    assert len(_csv(shop("greet", "--as-of", "2026-03-10"))) == 1


def test_a_logged_contact_clears_greetings_after_sale_and_the_visit_clock(shop):
    for ref in ("K2", "K3", "K4"):
        shop("contacts", "log", ref, "--channel", "call", "--note", "chat", "--on", "2026-03-10")
    kinds = {(r["kind"], r["ref"]) for r in _due(shop, "--days", "3")}
    assert kinds == {("complaint", "K1"), ("followup", "K1")}
    # A contact before the item fell due does not deal with it.
    shop("contacts", "log", "K1", "--channel", "call", "--on", "2026-03-01")
    assert ("followup", "K1") in {(r["kind"], r["ref"]) for r in _due(shop)}


def test_greeting_drops_after_its_grace_period_after_sale_stays(shop):
    def refs(day, kind):
        return [r["ref"] for r in _due(shop, "--as-of", day, "--kind", kind)]

    assert refs("2026-03-14", "birthday") == ["K3"]  # the 12th + 2 days' grace
    assert refs("2026-03-15", "birthday") == []
    shop("config", "set", "agenda.greeting_grace", "0d")
    assert refs("2026-03-13", "birthday") == []
    assert refs("2026-03-30", "after-sale") == ["K2"]  # not dealt with: stays
    assert refs("2026-04-07", "after-sale") == ["K2"]  # within agenda.aftersale_keep (30d)
    assert refs("2026-04-08", "after-sale") == []
    shop("config", "set", "agenda.aftersale_keep", "")
    assert refs("2027-06-07", "after-sale") == ["K2"]
    refused = shop("config", "set", "agenda.aftersale_keep", "1m", ok=False)  # days or weeks
    assert refused.exit_code == 1


def test_ics_puts_overdue_items_on_today_once_and_covers_only_its_days(shop):
    from icalendar import Calendar

    text = shop("export", "ics", "--as-of", "2026-03-10", "--days", "2").stdout
    events = Calendar.from_ical(text).walk("VEVENT")
    days = [e["dtstart"].to_ical().decode() for e in events]
    assert set(days) <= {"20260310", "20260311"}
    uids = [str(e["uid"]) for e in events]
    assert len(uids) == len(set(uids))
    overdue = [e for e in events if "overdue since" in str(e["description"])]
    assert {e["dtstart"].to_ical().decode() for e in overdue} == {"20260310"}
    assert len(overdue) == 5  # complaint, follow-up, after-sale, birthday, visit
