"""The agenda's sources and their merge, on the core (in-memory database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crmcli import agenda, contacts, customers, followups, public_holidays, purchases, settings
from crmcli.errors import Conflict, InvalidValue


def _due(db, start, days=1, **kw):
    start = date.fromisoformat(start)
    # These customers are added by hand without a purchase: prospects, with calls due
    # (tests/test_prospects.py); greeting tests look at the greetings.
    kw.setdefault("kinds", [k for k in agenda.KINDS if k != "prospect"])
    if not db.execute("SELECT 1 FROM purchases LIMIT 1").fetchone():
        settings.set_value(db, "holidays.greet.prospects", "yes")
    return [
        e.row() for e in agenda.due(db, start=start, end=start + timedelta(days=days - 1), **kw)
    ]


def _no_leads(db):
    for kind in ("birthday", "anniversary", "holiday"):
        settings.set_value(db, f"agenda.lead.{kind}", "0d")


def test_birthday_comes_lead_days_early_with_salutation_phone_and_owner(db):
    customers.add(
        db, name="김민준", birthday="1985-03-14", phones_raw=["010-1234-5678"], owner="지수"
    )
    assert _due(db, "2026-03-10") == []
    [row] = _due(db, "2026-03-11")  # lead time 3 days
    assert row["kind"] == "birthday"
    assert row["customer"] == "김민준 고객님"
    assert row["phone"] == "010-1234-5678"
    assert row["owner"] == "지수"
    assert row["why"] == "birthday on 2026-03-14, turns 41"


def test_birthday_without_year_and_29_february(db):
    _no_leads(db)
    customers.add(db, name="山田 太郎", birthday="--12-23")
    customers.add(db, name="Leap Person", birthday="2000-02-29")
    assert [r["why"] for r in _due(db, "2026-12-23")] == ["birthday on 2026-12-23"]
    assert [r["date"] for r in _due(db, "2027-02-28")] == ["2027-02-28"]
    settings.set_value(db, "birthday.feb29", "mar1")
    assert _due(db, "2027-02-28") == []
    assert [r["date"] for r in _due(db, "2027-03-01")] == ["2027-03-01"]
    assert [r["date"] for r in _due(db, "2028-02-29")] == ["2028-02-29"]


def test_lunar_birthdays_korean_and_chinese(db):
    _no_leads(db)
    customers.add(db, name="이서연", birthday="1990-01-01", birthday_lunar=True)
    # A kanji name alone says nothing of the language: a Chinese phone number does.
    customers.add(db, name="王小明", birthday="1986-01-01", birthday_lunar=True,
                  phones_raw=["+86 138 0013 8000"])  # fmt: skip
    rows = _due(db, "2027-02-06", days=2)
    assert [(r["date"], r["name"]) for r in rows] == [
        ("2027-02-06", "王小明"),
        ("2027-02-07", "이서연"),
    ]
    assert rows[1]["why"].startswith("lunar birthday (01-01) on 2027-02-07")


def test_lunar_day_30_falls_on_day_29_when_the_month_is_short(db):
    _no_leads(db)
    customers.add(db, name="박지훈", birthday="--08-30", birthday_lunar=True)
    # Lunar 8/29 of 2025 is 2025-10-20; the month has no 30th.
    assert [r["date"] for r in _due(db, "2025-10-15", days=10)] == ["2025-10-20"]


def test_do_not_contact_and_archived_customers_are_left_out(db):
    _no_leads(db)
    customers.add(db, name="A", birthday="1980-05-05", do_not_contact=True)
    archived = customers.add(db, name="B", birthday="1980-05-05")
    customers.archive(db, archived)
    customers.add(db, name="C", birthday="1980-05-05")
    assert [r["name"] for r in _due(db, "2026-05-05")] == ["C"]


def test_contact_window_moves_the_item_and_says_so(db):
    _no_leads(db)
    customers.add(db, name="John Smith", gender="M", birthday="1970-11-28", contact_days="mon-fri")
    # 2026-11-28 is a Saturday: the next day he takes calls is Monday 30th.
    assert _due(db, "2026-11-28") == []
    [row] = _due(db, "2026-11-30")
    assert row["customer"] == "Mr Smith"
    assert row["why"].endswith("(moved from 2026-11-28: takes calls mon,tue,wed,thu,fri)")


def test_the_weekday_test_is_left_out_of_the_listing_while_no_one_has_a_window(db, monkeypatch):
    """With no contact window in the shop, the listing does not test each line's days
    (it was written out seven times per line); the first window brings it back."""
    _no_leads(db)
    listed = []
    sql = agenda._Listing._sql

    def seen(listing, columns, where):
        text = sql(listing, columns, where)
        listed.append(text)
        return text

    monkeypatch.setattr(agenda._Listing, "_sql", seen)
    customers.add(db, name="Ann Lee", birthday="1970-11-28")
    assert [r["name"] for r in _due(db, "2026-11-28")] == ["Ann Lee"]
    assert listed and not any("instr(c.contact_days" in text for text in listed)
    customers.add(db, name="John Smith", gender="M", birthday="1970-11-28", contact_days="mon-fri")
    listed.clear()
    assert [r["name"] for r in _due(db, "2026-11-28")] == ["Ann Lee"]
    [moved] = [r for r in _due(db, "2026-11-30") if r["name"] == "John Smith"]
    assert moved["why"].endswith("(moved from 2026-11-28: takes calls mon,tue,wed,thu,fri)")
    assert listed and all("instr(c.contact_days" in text for text in listed)


def test_anniversaries_and_the_first_purchase(db):
    _no_leads(db)
    cid = customers.add(db, name="윤지우", anniversaries=[("wedding", "2016-04-23")])
    purchases.add(db, customer_id=cid, amount_micros=1_000_000, on=date(2024, 4, 23))
    purchases.add(db, customer_id=cid, amount_micros=1_000_000, on=date(2025, 4, 23))
    whys = sorted(r["why"] for r in _due(db, "2026-04-23", kinds=["anniversary"]))
    assert whys == [
        "2 years since the first purchase (2024-04-23)",
        "wedding anniversary on 2026-04-23, 10 years",
    ]
    # The day itself is no anniversary: not of the wedding, not of the first purchase.
    assert _due(db, "2016-04-23", kinds=["anniversary"]) == []
    assert [r["why"] for r in _due(db, "2024-04-23", kinds=["anniversary"])] == [
        "wedding anniversary on 2024-04-23, 8 years"
    ]


def test_holidays_greet_the_customers_the_rule_selects(db):
    settings.set_value(db, "agenda.lead.holiday", "0d")
    customers.add(db, name="김민준", tags=["vip"])
    customers.add(db, name="이서연")
    rows = _due(db, "2027-02-07", kinds=["holiday"])
    assert [(r["name"], r["why"]) for r in rows] == [("김민준", "설날 on 2027-02-07")]
    settings.set_value(db, "holidays.greet", "all")
    assert len(_due(db, "2027-02-07", kinds=["holiday"])) == 2
    settings.set_value(db, "holidays.greet", "")
    assert _due(db, "2027-02-07", kinds=["holiday"]) == []


def test_holidays_per_country_follow_the_customer(db):
    settings.set_value(db, "agenda.lead.holiday", "0d")
    settings.set_value(db, "holidays.country", "KR,CN")
    settings.set_value(db, "holidays.language", "en_US")
    customers.add(db, name="김민준", tags=["vip"])
    customers.add(db, name="王小明", tags=["vip"], locale="zh")
    rows = _due(db, "2027-02-06", days=2, kinds=["holiday"])
    assert [(r["date"], r["name"]) for r in rows] == [
        ("2027-02-06", "王小明"),
        ("2027-02-07", "김민준"),
    ]
    assert "Chinese New Year" in rows[0]["why"] and "Korean New Year" in rows[1]["why"]


@pytest.mark.parametrize(
    ("country", "language"), [("KR", "ko"), ("CN", "zh_CN"), ("JP", "ja"), ("AM", "hy")]
)
def test_holiday_dates_are_the_packages_names_the_curated_ones(country, language):
    import holidays

    found = public_holidays.between(
        date(2026, 1, 1), date(2027, 12, 31), country_list=[country], language=language
    )
    package = holidays.country_holidays(country, years=[2026, 2027], language=language)
    curated = {f.id: f.local for f in public_holidays.GREETING_HOLIDAYS[country]}
    assert found
    for h in found:
        assert h.day in package
        assert h.name == curated[h.festival]


def test_korean_holidays_keep_the_main_day_only():
    found = public_holidays.between(
        date(2027, 2, 1), date(2027, 2, 28), country_list=["KR"], language="ko"
    )
    assert [(h.day, h.name) for h in found] == [(date(2027, 2, 7), "설날")]


def test_after_sale_check_after_delivery_else_purchase(db):
    cid = customers.add(db, name="정도윤")
    purchases.add(
        db,
        customer_id=cid,
        amount_micros=1,
        on=date(2026, 11, 1),
        item="에스프레소 머신",
        delivery_date=date(2026, 11, 4),
    )
    purchases.add(db, customer_id=cid, amount_micros=1, on=date(2026, 11, 5), item="원두")
    purchases.add(db, customer_id=cid, amount_micros=-1, on=date(2026, 11, 6), item="반품")
    rows = _due(db, "2026-11-08", days=6, kinds=["after-sale"])
    assert [(r["date"], r["why"]) for r in rows] == [
        ("2026-11-11", "after-sale check: 에스프레소 머신 (delivered 2026-11-04)"),
        ("2026-11-12", "after-sale check: 원두 (bought 2026-11-05)"),
    ]


def test_visit_cadence_by_tier_from_the_last_contact(db):
    cid = customers.add(db, name="김민준")
    db.execute(
        "UPDATE customers SET tier_override = 'A', created_at = '2026-01-01' WHERE id = ?", [cid]
    )
    contacts.log(db, customer_id=cid, channel="visit", at="2026-10-01T10:00:00")
    assert _due(db, "2026-10-31", kinds=["visit"]) == []
    [row] = _due(db, "2026-11-01", kinds=["visit"])  # tier A: every month
    assert row["why"] == "tier A visit/call (last contact 2026-10-01)"
    assert len(_due(db, "2026-11-20", kinds=["visit"])) == 1  # still due until done
    contacts.log(db, customer_id=cid, channel="call", at="2026-11-20T09:00:00")
    assert _due(db, "2026-11-20", kinds=["visit"]) == []
    assert _due(db, "2026-11-20", kinds=["visit"], tier="B") == []


def test_followups_snooze_done_and_recurrence(db):
    cid = customers.add(db, name="김민준", owner="지수")
    fid = followups.add(db, customer_id=cid, on=date(2026, 11, 24), note="견적서", owner="민호")
    [row] = _due(db, "2026-11-24")
    assert row["why"] == f"follow-up #{fid}: 견적서" and row["owner"] == "민호"
    assert len(_due(db, "2026-11-30")) == 1  # overdue: stays until done
    assert _due(db, "2026-11-24", owner="지수") == []
    followups.snooze(db, fid, until=date(2026, 12, 1))
    assert _due(db, "2026-11-30") == []
    assert _due(db, "2026-12-01")[0]["why"].endswith("(promised for 2026-11-24, snoozed)")
    followups.done(db, fid)
    assert _due(db, "2026-12-01") == []
    with pytest.raises(Conflict):
        followups.done(db, fid)
    every = followups.add(db, customer_id=cid, on=date(2026, 1, 31), note="정기 점검", every="1m")
    nxt = followups.done(db, every)
    assert followups.get(db, nxt).due_on == "2026-02-28"  # not skipped to 31 March
    assert followups.get(db, followups.done(db, nxt)).due_on == "2026-03-31"
    assert followups.parse_every("2w") == "FREQ=WEEKLY;INTERVAL=2"
    with pytest.raises(InvalidValue):
        followups.parse_every("sometimes")


def test_sorted_by_date_then_priority_and_filtered_by_kind(db):
    _no_leads(db)
    cid = customers.add(db, name="김민준", birthday="1985-03-14")
    followups.add(db, customer_id=cid, on=date(2026, 3, 14), note="call")
    followups.add(db, customer_id=cid, on=date(2026, 3, 15), note="later")
    rows = _due(db, "2026-03-14", days=2)
    assert [(r["date"], r["kind"]) for r in rows] == [
        ("2026-03-14", "followup"),
        ("2026-03-14", "birthday"),
        ("2026-03-15", "followup"),
    ]
    assert [r["kind"] for r in _due(db, "2026-03-14", kinds=["birthday"])] == ["birthday"]
    with pytest.raises(InvalidValue):
        _due(db, "2026-03-14", kinds=["nonsense"])


def test_since_last_run_catches_up_missed_days(db):
    _no_leads(db)
    customers.add(db, name="A", birthday="1980-05-01")
    customers.add(db, name="B", birthday="1980-05-03")
    assert agenda.catch_up_start(db, today=date(2026, 5, 1)) == date(2026, 5, 1)
    agenda.record_run(db, start=date(2026, 5, 1), end=date(2026, 5, 1), items=1)
    start = agenda.catch_up_start(db, today=date(2026, 5, 4))  # the 2nd and 3rd were missed
    assert start == date(2026, 5, 2)
    settings.set_value(db, "agenda.greeting_grace", "0d")
    # B's birthday on the missed 3rd is caught up, though its day (and grace) has passed;
    # A's, reported on the 1st and never dealt with, still shows (from the 1st).
    rows = [
        e.row() for e in agenda.due(db, start=start, end=date(2026, 5, 4), today=date(2026, 5, 4))
    ]
    assert [(r["name"], r["date"], r["overdue_since"]) for r in rows] == [
        ("B", "2026-05-04", "2026-05-03")
    ]
    settings.set_value(db, "agenda.greeting_grace", "3d")
    rows = [
        e.row() for e in agenda.due(db, start=start, end=date(2026, 5, 4), today=date(2026, 5, 4))
    ]
    assert [(r["name"], r["overdue_since"]) for r in rows] == [
        ("A", "2026-05-01"),  # the nearer day first among greetings: A's was the 1st
        ("B", "2026-05-03"),
    ]


def test_overdue_complaint_stages_come_first(db):
    from crmcli import complaints

    _no_leads(db)
    cid = customers.add(db, name="김민준", birthday="1985-03-14")
    number = complaints.open_complaint(
        db, customer_id=cid, summary="스팀 노즐 누수", by="지수", on=date(2026, 3, 12)
    )
    assert _due(db, "2026-03-12", kinds=["complaint"]) == []  # apologise within a day
    rows = _due(db, "2026-03-14")
    assert [(r["date"], r["kind"], r["overdue_since"]) for r in rows] == [
        ("2026-03-14", "complaint", "2026-03-13"),  # overdue since yesterday: stays
        ("2026-03-14", "birthday", None),
    ]
    assert rows[0]["why"].endswith("(overdue since 2026-03-13)")
    assert rows[0]["why"].startswith(f"complaint #{number} (normal): 스팀 노즐 누수")
    complaints.advance(db, number, to="apologized", by="지수")
    assert [r["kind"] for r in _due(db, "2026-03-14")] == ["complaint", "birthday"]
    assert "cause-found was due" in _due(db, "2026-03-14")[0]["why"]


def test_visits_are_capped_per_day_a_first_then_most_overdue(db):
    made = {}
    for name, tier, since in [
        ("C old", "C", "2024-01-01"),
        ("B recent", "B", "2026-06-01"),
        ("A recent", "A", "2026-10-15"),
        ("A old", "A", "2026-01-01"),
    ]:
        cid = customers.add(db, name=name)
        db.execute(
            "UPDATE customers SET tier_override = ?, created_at = ? WHERE id = ?",
            [tier, since, cid],
        )
        made[cid] = name
    start = end = date(2026, 11, 20)
    entries = agenda.due(db, start=start, end=end, kinds=["visit"])
    assert len(entries) == 4
    kept, held = agenda.cap_visits(db, entries, per_day=2, days=1)
    assert held == 2
    assert sorted(made[e.item.customer_id] for e in kept) == ["A old", "A recent"]
    kept, held = agenda.cap_visits(db, entries, per_day=3, days=1)
    assert (held, sorted(made[e.item.customer_id] for e in kept)) == (
        1,
        ["A old", "A recent", "B recent"],
    )
    assert agenda.cap_visits(db, entries, per_day=None, days=1) == (entries, 0)
    assert agenda.cap_visits(db, entries, per_day=2, days=2) == (entries, 0)


def test_an_event_still_ahead_stays_due_after_its_lead_day(db):
    """Added today with a birthday tomorrow: due today, though its lead day has passed."""
    customers.add(db, name="김민준", birthday="1985-11-25")
    today = date(2026, 11, 24)
    [entry] = agenda.due(db, start=today, end=today)
    row = entry.row()
    assert (row["date"], row["on"]) == ("2026-11-24", "2026-11-25")
    assert row["why"].endswith("(overdue since 2026-11-22)")
    # The birthday and its grace period (2 days) are over: no longer due.
    assert len(agenda.due(db, start=date(2026, 11, 27), end=date(2026, 11, 27))) == 1
    assert agenda.due(db, start=date(2026, 11, 28), end=date(2026, 11, 28)) == []
    # Over several days it is listed once.
    assert len(agenda.due(db, start=today, end=today + timedelta(days=5))) == 1


def test_visits_read_with_a_limit_keep_the_best_and_count_them_all(db):
    for n in range(70):
        cid = customers.add(db, name=f"C{n}")
        tier = "A" if n % 10 == 0 else "C"
        db.execute(
            "UPDATE customers SET tier_override = ?, created_at = ? WHERE id = ?",
            [tier, (date(2024, 1, 1) + timedelta(days=n)).isoformat(), cid],
        )
    day = date(2026, 11, 20)
    everything = agenda.due(db, start=day, end=day, kinds=["visit"])
    counts: dict[str, int] = {}
    limited = agenda.due(db, start=day, end=day, kinds=["visit"], visits_limit=1, counts=counts)
    assert counts["visits"] == len(everything) == 70
    assert len(limited) == 2 * 1 + 50  # only the best candidates were held
    kept, _ = agenda.cap_visits(db, limited, per_day=3, days=1)
    expected, _ = agenda.cap_visits(db, everything, per_day=3, days=1)
    assert [e.item.customer_id for e in kept] == [e.item.customer_id for e in expected]


@pytest.mark.sqlite_only("the plan SQLite's query planner makes, and ANALYZE's statistics")
def test_the_listing_looks_up_the_customers_of_its_items_only(db, monkeypatch):
    """On an analyzed database the planner took the items' temporary table (which it
    knew nothing of) for a million rows, and filtered every customer through a Bloom
    filter to join them: a scan of the whole shop for a day's few birthdays."""
    cid = customers.add(db, name="Ann Lee", birthday="1990-03-05")
    with db.write():  # a shop of 2,000 customers, one with a birthday this week
        db.execute(
            """WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
               INSERT INTO customers (id, code, name, created_at, updated_at)
               SELECT i, 'C' || i, 'Customer ' || i, created_at, updated_at
                 FROM n, (SELECT created_at, updated_at FROM customers WHERE id = ?)""",
            [cid],
        )
    db.execute("ANALYZE")
    plans = []
    rows = agenda._Listing.rows

    def explained(listing, sort):
        sql = "EXPLAIN QUERY PLAN " + listing._sql("key", "")
        plans.extend(step[3] for step in listing.db.execute(sql, listing.params))
        return rows(listing, sort)

    monkeypatch.setattr(agenda._Listing, "rows", explained)
    found = agenda.due(db, start=date(2026, 3, 1), end=date(2026, 3, 3), kinds=["birthday"])
    assert [e.item.key for e in found] == [f"birthday:{cid}:2026-03-05"]
    assert "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in plans
    assert not [step for step in plans if "BLOOM" in step or step.startswith("SCAN c")]


@pytest.mark.sqlite_only("the plan SQLite's query planner makes")
def test_each_line_s_first_phone_is_read_from_the_phone_index_alone(db, monkeypatch):
    """The first phone is one index look-up (m131: the index carries the number); a
    second look-up in the table for it was a tenth of `due` at a million customers."""
    cid = customers.add(db, name="Ann Lee", birthday="1990-03-05", phones_raw=["010-1234-5678"])
    plans = []
    rows = agenda._Listing.rows

    def explained(listing, sort):
        sql = "EXPLAIN QUERY PLAN " + listing._sql("phone", "")
        plans.extend(step[3] for step in listing.db.execute(sql, listing.params))
        return rows(listing, sort)

    monkeypatch.setattr(agenda._Listing, "rows", explained)
    found = agenda.due(db, start=date(2026, 3, 1), end=date(2026, 3, 3), kinds=["birthday"])
    assert [(e.item.customer_id, e.person.phone) for e in found] == [(cid, "010-1234-5678")]
    phone = [step for step in plans if step.startswith("SEARCH p ")]
    covering = "SEARCH p USING COVERING INDEX customer_phones_customer (customer_id=?)"
    assert phone == [covering], plans
