"""Every agenda source in one place (`crmcli.agenda_sources`): named for what it returns,
each kind's key told, and the SQL forms giving what the Python forms give."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crmcli import agenda, agenda_sources, customers, purchases, tiers
from crmcli.agenda_sources import SOURCES, Window


def test_every_kind_has_a_source_named_for_its_items_and_a_key_told():
    assert agenda.KINDS == tuple(SOURCES) == agenda_sources.KINDS
    for kind, source in SOURCES.items():
        assert source.__name__ == kind.replace("-", "_") + "_items"
        assert f"| {kind} " in agenda_sources.__doc__  # the table says its source and key
        assert f"`{source.__name__}`" in agenda_sources.__doc__


def test_after_sale_checks_are_the_same_read_as_items_or_inserted_as_rows(db):
    cid = customers.add(db, name="Ann Lee")
    purchases.add(db, customer_id=cid, amount_micros=5_000_000, on=date(2026, 3, 1), item="Cup")
    purchases.add(db, customer_id=cid, amount_micros=5_000_000, on=date(2026, 3, 1))
    purchases.add(
        db,
        customer_id=cid,
        amount_micros=9_000_000,
        on=date(2026, 3, 2),
        order_id="O-7",
        delivery_date=date(2026, 3, 4),
    )
    window = Window(date(2026, 3, 1), date(2026, 3, 20))
    items = list(agenda_sources.after_sale_items(db, window))
    sql, params = agenda_sources.after_sale_sql(db, window)
    rows = db.execute(sql, params).fetchall()
    assert [(i.customer_id, i.on.isoformat(), i.why, i.key) for i in items] == rows
    assert sorted(i.why for i in items) == [
        "after-sale check: Cup (bought 2026-03-01)",
        "after-sale check: the purchase (delivered 2026-03-04)",
    ]


def test_thanks_are_the_same_read_as_items_or_inserted_as_rows(db):
    """The SQL the agenda inserts says what each item says: an order's items each once,
    in the order their lines were recorded (a line of a later day recorded first), an
    item holding a comma, no item, a lone line, returns and the least amount."""
    from crmcli import settings

    settings.set_value(db, "thanks.min_amount", "10")
    ann, bob = customers.add(db, name="Ann Lee"), customers.add(db, name="Bob Kim")

    def buy(cid, amount, day, item=None, order_id=None):
        purchases.add(
            db,
            customer_id=cid,
            amount_micros=amount * 1_000_000,
            on=date(2026, 3, day),
            item=item,
            order_id=order_id,
        )

    buy(ann, 5, 3, "Tea", "O-1")  # recorded first, bought a day later
    buy(ann, 5, 2, "Mug", "O-1")
    buy(ann, 5, 2, "Cup, large", "O-1")
    buy(ann, 5, 2, "Tea", "O-1")
    buy(ann, 5, 2, None, "O-1")
    buy(bob, 12, 2, "Pen")  # a lone line is an order of its own
    buy(bob, 12, 3)  # nothing said of what
    buy(bob, 30, 2, "Ink", "O-2")
    buy(bob, -30, 2, "Ink", "O-2")  # returned
    buy(bob, 9, 2, "Clip", "O-3")  # under thanks.min_amount
    window = Window(date(2026, 3, 1), date(2026, 3, 5))
    items = [
        (i.customer_id, i.on.isoformat(), i.why, i.key)
        for i in agenda_sources.thanks_items(db, window)
    ]
    sql, params = agenda_sources.thanks_sql(db, window)
    assert sorted(db.execute(sql, params).fetchall()) == sorted(items)
    assert sorted(why for _, _, why, _ in items) == [
        "thank for the order O-1: Tea, Mug, Cup, large (bought 2026-03-02)",
        "thank for the purchase (bought 2026-03-03)",
        "thank for the purchase: Pen (bought 2026-03-02)",
    ]
    settings.set_value(db, "thanks.enabled", "no")
    assert agenda_sources.thanks_sql(db, window) is None
    assert list(agenda_sources.thanks_items(db, window)) == []


@pytest.mark.parametrize("feb29", ["feb28", "mar1"])
@pytest.mark.parametrize(
    "first, last",
    [
        (date(2025, 2, 20), date(2025, 3, 5)),  # 29 February in a common year
        (date(2028, 2, 25), date(2028, 3, 2)),  # and in a leap year
        (date(2025, 12, 20), date(2027, 1, 10)),  # a new year, and some days twice
    ],
)
def test_solar_birthdays_are_the_same_read_as_items_or_inserted_as_rows(db, feb29, first, last):
    from crmcli import settings

    settings.set_value(db, "birthday.feb29", feb29)
    for n, born in enumerate(
        ["1980-02-29", "--02-29", "1990-02-28", "1975-03-01", "--12-31", "2025-12-25",
         "2026-01-02", "2000-01-05", "1999-06-01"]
    ):  # fmt: skip
        customers.add(db, name=f"Customer {n}", birthday=born)
    customers.add(db, name="Lunar", birthday="1980-01-01", birthday_lunar=True)
    window = Window(first, last)
    items = [
        (i.customer_id, i.on.isoformat(), i.why, i.key)
        for i in agenda_sources.birthday_items(db, window)
        if "lunar" not in i.why
    ]
    sql, params = agenda_sources.solar_birthday_sql(db, window)
    rows = db.execute(sql, params).fetchall()
    assert sorted(rows) == sorted(items) and items
    assert any("turns" not in why for _, _, why, _ in items)  # "--MM-DD", and turning 0


@pytest.mark.parametrize("span", ["1m", "3m", "2w", "1y", "10d"])
def test_a_cadence_runs_out_by_a_day_exactly_when_it_started_by_the_latest_start(span):
    from crmcli import dates

    every = dates.parse_span(span)
    for last in (date(2026, 3, 31), date(2026, 2, 28), date(2024, 2, 29), date(2026, 12, 1)):
        latest = agenda_sources._latest_start(last, every)
        for offset in range(-400, 5):
            since = latest + timedelta(days=offset)
            assert (since <= latest) == (since + every <= last), (span, last, since)


def test_best_visits_read_the_first_tiers_and_count_the_others(db):
    made = {}
    for n, tier in enumerate("AAACCCCC"):
        cid = customers.add(db, name=f"V{n}")
        tiers.set_override(db, cid, tier=tier, reason="test")
        made[cid] = tier
    db.execute("UPDATE customers SET created_at = '2020-01-01T00:00:00+00:00'")
    window = Window(date(2026, 3, 1), date(2026, 3, 1))
    counts: dict[str, int] = {}
    best = agenda_sources.best_visit_items(db, window, size=2, counts=counts)
    assert [made[i.customer_id] for i in best] == ["A", "A"]
    assert counts["visits"] == len(list(agenda_sources.visit_items(db, window))) == 8
    # Without a count asked for, the C customers are not read at all.
    assert agenda_sources.best_visit_items(db, window, size=2) == best


def test_best_visits_read_first_keep_the_ties_of_a_month_end(db):
    """Only the first few visits are read, by the day their clock started; days a month
    apart ending on the same day (27 to 31 January + 1 month) tie, and the customer id
    decides, as it does over every visit read."""
    from crmcli import settings

    settings.set_value(db, "tiers.cadence.A", "1m")
    for day in (31, 30, 29, 28, 27, 26):
        cid = customers.add(db, name=f"Born {day}")
        tiers.set_override(db, cid, tier="A", reason="test")
        db.execute(
            "UPDATE customers SET created_at = ? WHERE id = ?", [f"2026-01-{day}T09:00:00", cid]
        )
    window = Window(date(2026, 3, 1), date(2026, 3, 1))
    every = sorted(agenda_sources.visit_items(db, window), key=lambda i: (i.on, i.customer_id))
    for size in (1, 2, 3, 6, 9):
        best = agenda_sources.best_visit_items(db, window, size=size)
        assert best == every[:size]
    assert [i.on.isoformat() for i in every[:3]] == ["2026-02-26", "2026-02-27", "2026-02-28"]


def test_tier_members_are_the_current_tiers(db):
    ids = [customers.add(db, name=f"M{n}") for n in range(6)]
    for n, cid in enumerate(ids):
        purchases.add(db, customer_id=cid, amount_micros=(n + 1) * 1_000_000, on=date(2025, 1, 1))
    tiers.classify(db, as_of=date(2025, 6, 30), window="all")
    db.execute("DELETE FROM tier_assignments WHERE customer_id = ?", [ids[0]])
    tiers.classify(db, as_of=date(2025, 12, 31), window="all")
    # One customer left out of the latest run keeps the tier of the run before.
    db.execute(
        "DELETE FROM tier_assignments WHERE customer_id = ? AND run_id ="
        " (SELECT max(id) FROM tier_runs)",
        [ids[5]],
    )
    tiers.set_override(db, ids[1], tier="A", reason="office orders")
    current = tiers.current_tiers(db)
    for tier in "ABC":
        sql, params = tiers.members_sql(db, tier)
        found = {r[0] for r in db.execute(sql, params)}
        assert found == {c for c, t in current.items() if t == tier}, tier


@pytest.mark.sqlite_only("the plan SQLite's query planner makes")
def test_lunar_birthdays_are_read_by_their_own_index(db):
    """The lunar source reads the lunar birthdays alone (m125), not every birthday
    falling on the window's lunar month-days by the solar calendar too."""
    lunar = customers.add(db, name="김민준", birthday="1990-10-24", birthday_lunar=True)
    customers.add(db, name="Ann Lee", birthday="1990-10-24")  # the same month-day, solar
    read: list[tuple[str, list]] = []

    def execute(sql, params=()):
        if "birthday_lunar != 0" in sql:
            read.append((sql, params))
        return db.conn.execute(sql, params)

    db.execute = execute
    window = Window(date(2026, 12, 1), date(2026, 12, 10))  # lunar 10-24 is 2 December
    found = list(agenda_sources.lunar_birthday_items(db, window))
    assert [i.customer_id for i in found] == [lunar]
    ((sql, params),) = read
    plan = [step[3] for step in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    assert any("USING INDEX customers_lunar_birthday" in step for step in plan), plan
