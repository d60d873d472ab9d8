"""The agenda of a seeded shop, pinned line for line (issue 17 item 5).

Every source of `crmcli due` is fed here — solar, lunar, leap-month, yearless and
29-February birthdays, anniversaries (lunar too) and first purchases, public holidays
in six countries, after-sale checks (delivered or not, overdue ones kept), thanks,
prospects, tier visits and visit plans, follow-ups (snoozed, recurring), complaint
stages and relatives' birthdays — with contact windows, do-not-contact and archived
customers, plain contacts that clear greetings, and items already done or skipped.
The output of several runs (one day, a week, a month, a catch-up from earlier days,
each sort, owner and tier filters, a visit cap, greetings) is compared with the
checked-in file: speeding a source up must not change one line of it.

Regenerate after an intended change with `CRMCLI_UPDATE_GOLDEN=1 pytest
tests/test_agenda_pinned.py`, and read the diff as a person would.
"""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from crmcli import (
    agenda,
    agenda_done,
    complaints,
    contacts,
    customers,
    followups,
    greetings,
    prospects,
    purchases,
    relations,
    settings,
    tiers,
    visits,
)
from crmcli.engines import Engine

PINNED = Path(__file__).parent / "golden" / "agenda-pinned.csv"
# The days the shop is looked at: around 29 February, a December, a lunar new year.
AS_OFS = (date(2025, 2, 25), date(2025, 12, 1), date(2026, 2, 14))
NAMES = {
    "ko": ["김민준", "이서연", "박지호"],
    "ja": ["山田 太郎", "佐藤 花子"],
    "zh": ["王小明", "李娜"],
    "zh_Hant": ["陳大文"],
    "hy": ["Անի Պետրոսյան", "Արամ Սարգսյան"],
    "ru": ["Иван Петров", "Ольга Смирнова"],
    "en": ["Bruce Wayne", "Harry Olson"],
}
OWNERS = ("수진", "Armen", None)
CONTACT_DAYS = ("mon-fri", "sat,sun", "wed")


def _near(rng: random.Random, spread: int = 12) -> date:
    """A day within `spread` days of one of the as-of days (events the runs can see)."""
    return rng.choice(AS_OFS) + timedelta(days=rng.randint(-spread, spread))


def _iso(day: date) -> str:
    return day.isoformat()


def _shop(db: Engine) -> None:
    rng = random.Random(1717)
    for key, value in {
        "holidays.country": "KR,US,JP,CN,RU,AM",
        "holidays.greet": "all",
        "thanks.min_amount": "20",
        "shop.name": "Bean",
    }.items():
        settings.set_value(db, key, value)
    locales = list(NAMES)
    ids: list[int] = []
    for n in range(260):
        locale = locales[n % len(locales)]
        name = rng.choice(NAMES[locale]) if n % 9 else None  # some known by phone only
        born = _near(rng)
        year = rng.randint(1950, 2005)
        lunar = leap = False
        birthday: str | None = f"{year}-{born.month:02d}-{born.day:02d}"
        if n % 5 == 1:  # a lunar birthday: the first or last lunar month
            lunar, leap = True, n % 25 == 1
            month = rng.choice((1, 12, 1, 2))
            birthday = f"{year}-{month:02d}-{rng.randint(1, 29):02d}"
            if leap:
                birthday = f"2020-04-{rng.randint(1, 29):02d}"  # 2020 had a leap 4th month
        elif n % 11 == 3:
            birthday = f"--{born.month:02d}-{born.day:02d}"  # no year
        elif n % 13 == 4:
            birthday = f"{rng.choice((1988, 1996, 2000))}-02-29"
        elif n % 17 == 5:
            birthday = None
        cid = customers.add(
            db,
            name=name,
            code=f"P{n:04d}",
            phones_raw=[f"010-{rng.randint(1000, 9999)}-{n:04d}"] if n % 8 != 7 else [],
            email=f"p{n}@example.com" if n % 3 == 0 else None,
            birthday=birthday,
            birthday_lunar=lunar,
            birthday_leap=leap,
            contact_days=CONTACT_DAYS[n % 3] if n % 6 == 5 else None,
            do_not_contact=n % 15 == 14,
            locale=locale if n % 4 else None,  # else inferred from the name
            owner=OWNERS[n % 3],
            tags=["vip"] if n % 10 == 0 else [],
            added_on="2023-06-01",
        )
        ids.append(cid)
        if n % 4 == 0:
            day = _near(rng)
            customers.set_date(db, cid, "wedding", f"{rng.randint(1980, 2020)}-{day:%m-%d}")
        if n % 12 == 6:
            customers.set_date(
                db, cid, "first visit", f"2001-01-{rng.randint(1, 20):02d}", lunar=True
            )
    # Purchases for two customers in three: history, and orders near each as-of day.
    for n, cid in enumerate(ids):
        if n % 3 == 2:
            continue
        first = date(2022, 1, 1) + timedelta(days=rng.randint(0, 900))
        if n % 7 == 0:  # a first purchase whose anniversary falls near an as-of day
            near = _near(rng)
            first = date(rng.randint(2022, 2024), near.month, min(near.day, 28))
        purchases.add(db, customer_id=cid, amount_micros=30_000_000, on=first, item="Kettle")
        for k in range(rng.randint(0, 4)):
            on = _near(rng, 20) if k % 2 == 0 else first + timedelta(days=rng.randint(1, 1200))
            if on <= first:
                on = first + timedelta(days=1)
            order = f"O{n}-{k}" if rng.random() < 0.6 else None
            delivered = on + timedelta(days=rng.randint(1, 6)) if rng.random() < 0.4 else None
            for line in range(rng.randint(1, 2) if order else 1):
                amount = rng.choice((5, 15, 60, 250, -40)) * 1_000_000
                purchases.add(
                    db,
                    customer_id=cid,
                    amount_micros=amount,
                    on=on,
                    item=rng.choice(("Tea", "Cup", "Grinder", None)),
                    order_id=order,
                    delivery_date=delivered,
                    quantity=1 + line,
                )
    # Contacts: plain ones (clear greetings, restart visit clocks) near the as-of days.
    for cid in rng.sample(ids, 70):
        contacts.log(db, customer_id=cid, channel="call", note="hello", by="Bo",
                     at=f"{_iso(_near(rng, 30))}T10:00:00+00:00")  # fmt: skip
    # Follow-ups: overdue, snoozed, recurring, with and without an owner.
    for k, cid in enumerate(rng.sample(ids, 30)):
        promised = _near(rng, 20)
        fid = followups.add(
            db,
            customer_id=cid,
            on=promised,
            note=f"call back about order {k}",
            every="1m" if k % 6 == 0 else None,
            owner="Bo" if k % 4 == 0 else None,
        )
        if k % 5 == 1:
            followups.snooze(db, fid, until=promised + timedelta(days=rng.randint(1, 9)))
    # Complaints at every stage, opened near the as-of days.
    for k, cid in enumerate(rng.sample(ids, 12)):
        opened = _near(rng, 15)
        complaint = complaints.open_complaint(
            db, customer_id=cid, summary=f"broken lid {k}", by="Bo", on=opened,
            severity=("normal", "high", "low")[k % 3],
        )  # fmt: skip
        if k % 3 == 1:
            complaints.advance(db, complaint, to="apologized", by="Bo", note="called",
                               on=opened + timedelta(days=1))  # fmt: skip
    # Relatives greeted on their birthday; some relatives are customers themselves.
    for k, cid in enumerate(rng.sample(ids, 24)):
        if k % 4 == 0:
            other = rng.choice(ids)
            if other != cid:
                relations.relate(db, cid, kind="spouse", other_id=other, greet=True)
            continue
        day = _near(rng)
        relations.relate(db, cid, kind=rng.choice(("child", "parent", "sibling")),
                         name=f"Kin {k}", birthday=f"{rng.randint(1960, 2015)}-{day:%m-%d}",
                         greet=k % 5 != 2)  # fmt: skip
    # Visit plans, starting before or after the as-of days.
    for k, cid in enumerate(rng.sample(ids, 14)):
        visits.plan(db, customer_id=cid, every=("1m", "3m", "2w")[k % 3], goal=f"goal {k}",
                    from_day=_near(rng, 40))  # fmt: skip
    # Prospects put on the call cadence on different days; some given up.
    for k, cid in enumerate(ids):
        if k % 3 == 2:
            db.execute(
                "UPDATE customers SET prospect_calls_from = ? WHERE id = ?",
                [_iso(_near(rng, 25)), cid],
            )
            if k % 27 == 2:
                prospects.mark_lost(db, cid, reason="moved away", on=date(2025, 1, 2))
    # Tiers, with overrides; archived customers.
    tiers.classify(db, as_of=date(2025, 11, 30), window="all")
    for cid in ids[::23]:
        tiers.set_override(db, cid, tier="A", reason="office orders")
    for cid in ids[5::37]:
        customers.archive(db, cid)
    # A fixed "added" day for everyone: tier visits without contact or purchase count
    # from it, and it must not be the day the test runs.
    db.execute("UPDATE customers SET created_at = '2024-03-05T09:00:00+00:00'")
    db.conn.commit()
    # Items already dealt with: found on a first run, some done, some skipped.
    found = agenda.due(db, start=AS_OFS[1], end=AS_OFS[1] + timedelta(days=6))
    keys = [e.item.key for e in found if e.item.kind != "complaint"]
    agenda_done.record(db, keys[::7], outcome="done", by="Bo", at="2025-11-28T10:00:00+00:00")
    skipped = [k for i, k in enumerate(keys) if i % 11 == 3 and i % 7]
    agenda_done.record(db, skipped, outcome="skipped", by="Bo", at="2025-11-28T11:00:00+00:00")


def _csv(entries: list[agenda.Entry]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for e in entries:
        row = e.row()
        writer.writerow([row[f] for f in agenda.FIELDS])
    yield out.getvalue()


def _runs(db: Engine) -> Iterator[str]:
    """Each run's heading, then its lines as `due --format csv --fields …` prints them."""
    for today in AS_OFS:
        for days in (1, 7, 31):
            end = today + timedelta(days=days - 1)
            yield f"## {today} --days {days}\n"
            yield from _csv(agenda.due(db, start=today, end=end))
        yield f"## {today} --sort date, catching up from 5 days before\n"
        yield from _csv(
            agenda.due(db, start=today - timedelta(days=5), end=today, today=today, sort="date")
        )
        for owner in ("수진", "Bo"):
            yield f"## {today} --days 7 --owner {owner}\n"
            yield from _csv(agenda.due(db, start=today, end=today + timedelta(days=6), owner=owner))
        yield f"## {today} --days 7 --tier A\n"
        yield from _csv(agenda.due(db, start=today, end=today + timedelta(days=6), tier="A"))
        yield f"## {today} --days 3, 2 visits a day\n"
        end = today + timedelta(days=2)
        counts: dict[str, int] = {}
        entries = agenda.due(db, start=today, end=end, visits_limit=6, counts=counts)
        entries, held = agenda.cap_visits(db, entries, per_day=2, days=3)
        yield f"# {counts.get('visits')} visits due, {held} held\n"
        yield from _csv(entries)
        for kinds in (("birthday", "followup"), ("after-sale", "thanks", "prospect")):
            yield f"## {today} --days 7 --kind {' --kind '.join(kinds)}\n"
            yield from _csv(agenda.due(db, start=today, end=today + timedelta(days=6), kinds=kinds))
        yield f"## {today} greet --days 7\n"
        found = greetings.render(db, start=today, end=today + timedelta(days=6))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([f"# {found.unreachable} unreachable"])
        for row in found.rows:
            writer.writerow([row[f] for f in greetings.FIELDS])
        yield out.getvalue()
    settings.set_value(db, "agenda.aftersale_keep", "")  # kept until done
    settings.set_value(db, "holidays.greet", "tag:vip,tier:A")
    for today in AS_OFS:
        yield f"## {today} --days 7, after-sale checks kept until done, holidays for A and vip\n"
        yield from _csv(agenda.due(db, start=today, end=today + timedelta(days=6)))
    settings.unset(db, "agenda.aftersale_keep")
    settings.set_value(db, "holidays.greet", "all")


@pytest.fixture(scope="module")
def shop(module_db: Engine) -> Engine:
    """The pinned shop, once per engine: the same lines must come out of both."""
    _shop(module_db)
    return module_db


def test_every_source_feeds_the_pinned_shop(shop):
    """The fixture is worth pinning: each kind shows up in the runs."""
    shown = agenda.due(shop, start=AS_OFS[1], end=AS_OFS[1] + timedelta(days=30))
    shown += agenda.due(shop, start=AS_OFS[2], end=AS_OFS[2] + timedelta(days=30))
    kinds = {e.item.kind for e in shown}
    assert kinds == set(agenda.KINDS)
    assert any(e.item.moved_from for e in shown)  # a contact window moved one
    assert any(e.item.late_from for e in shown)  # an overdue one kept
    assert any("lunar" in e.item.why for e in shown)


def test_the_agenda_is_as_pinned(shop):
    text = "".join(_runs(shop))
    if os.environ.get("CRMCLI_UPDATE_GOLDEN"):
        PINNED.write_text(text, encoding="utf-8")
    assert text == PINNED.read_text(encoding="utf-8")


@pytest.mark.parametrize("today", AS_OFS)
@pytest.mark.parametrize("counted", [True, False])
def test_the_listing_cuts_visits_as_cap_visits_does(shop, today, counted):
    """`due` on the command line reads the agenda line by line with the visit cut made
    in the database: the same lines, and the same count of visits held back."""
    end = today + timedelta(days=2)
    counts: dict[str, int] | None = {} if counted else None
    listed = list(
        agenda.listed(
            shop, start=today, end=end, visits_limit=6, visits_per_day=2, days=3, counts=counts
        )
    )
    whole: dict[str, int] = {}
    entries = agenda.due(shop, start=today, end=end, visits_limit=6, counts=whole)
    kept, _ = agenda.cap_visits(shop, entries, per_day=2, days=3)
    assert [e.row() for e in listed] == [e.row() for e in kept]
    if counts is not None:
        kept_visits = sum(e.item.kind == "visit" for e in kept)
        assert counts["visits held"] == whole["visits"] - kept_visits > 0
    assert _left_behind(shop) == []  # read to the end: the listing's table is gone


def _left_behind(db: Engine) -> list[object]:
    """Temporary tables still there; on SQLite also the listing's rows in the statistics
    table its ANALYZE made, which stays (emptied of the listing's rows by its DROP)."""
    if db.name == "postgresql":
        sql = "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'"
        return [name for (name,) in db.execute(sql).fetchall()]
    temp = db.execute(
        "SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name != 'sqlite_stat1'"
    ).fetchall()
    return [*temp, *db.execute("SELECT * FROM temp.sqlite_stat1").fetchall()]


def test_the_items_found_are_written_in_batches_to_the_same_agenda(shop, monkeypatch):
    today = AS_OFS[1]
    whole = [e.row() for e in agenda.due(shop, start=today, end=today + timedelta(days=30))]
    monkeypatch.setattr(agenda, "_BATCH", 7)
    batched = [e.row() for e in agenda.due(shop, start=today, end=today + timedelta(days=30))]
    assert batched == whole and len(whole) > 7


@pytest.mark.parametrize("today", AS_OFS)
def test_the_printed_lines_are_the_entries_rows(shop, today):
    """`due` prints `agenda.lines`, made straight from the listing's rows: the same
    lines as the entries' rows, field for field, whatever the sort or filter."""
    for options in (
        {"end": today + timedelta(days=30)},
        {"start": today - timedelta(days=5), "end": today, "sort": "date"},
        {"end": today + timedelta(days=6), "owner": "수진"},
        {"end": today + timedelta(days=6), "tier": "A"},
    ):
        kw = {"start": today, "today": today, **options}
        # A listing keeps no greeting details: the kinds that have an SQL form use it.
        printed = list(agenda.lines(shop, **kw, details=False))
        assert printed == [e.row() for e in agenda.listed(shop, **kw)]
        assert printed  # every run lists something
