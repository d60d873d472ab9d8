"""followups: a promised call-back is a follow-up with a date (domain §4, "do not over-promise")."""

from __future__ import annotations

from datetime import date

import pytest

from crmcli import customers, followups
from crmcli.errors import Conflict, InvalidValue, NotFound


@pytest.fixture
def kim(db):
    return customers.add(db, name="Kim Minjun", code="K1", owner="지수")


@pytest.mark.parametrize(
    ("every", "start", "rule"),
    [
        ("1w", date(2026, 3, 2), "FREQ=WEEKLY"),
        ("w", date(2026, 3, 2), "FREQ=WEEKLY"),
        ("2W", date(2026, 3, 2), "FREQ=WEEKLY;INTERVAL=2"),
        ("10d", date(2026, 3, 2), "FREQ=DAILY;INTERVAL=10"),
        ("1m", date(2026, 3, 15), "FREQ=MONTHLY"),
        # From a 29th-31st: the month's last day when the month is shorter.
        ("1m", date(2026, 1, 31), "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1"),
        ("1y", date(2024, 2, 29), "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29,-1;BYSETPOS=1"),
        ("rrule:freq=monthly;bymonthday=1", date(2026, 3, 2), "FREQ=MONTHLY;BYMONTHDAY=1"),
    ],
)
def test_every_becomes_an_rrule(every, start, rule):
    assert followups.parse_every(every, start=start) == rule


@pytest.mark.parametrize(
    ("every", "said"),
    [
        ("0w", "positive interval"),
        ("11y", "at most ten years"),
        ("999999d", "at most ten years"),
        ("soon", "neither a span"),
        ("FREQ=DAILY;FREQ=WEEKLY", "neither a span"),  # a part twice
        ("FREQ=WEEKLY;INTERVAL=600", "INTERVAL must be from 1 to 522"),
        ("FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2", "matches no day"),
        ("FREQ=YEARLY;UNTIL=20260101", "no occurrence within ten years"),
    ],
)
def test_bad_every_is_refused_with_a_reason(every, said):
    with pytest.raises(InvalidValue, match=said):
        followups.parse_every(every, start=date(2026, 3, 2))


def test_next_occurrence_keeps_month_ends():
    rule = followups.parse_every("1m", start=date(2026, 1, 31))
    days = [date(2026, 1, 31)]
    for _ in range(4):
        days.append(followups.next_occurrence(rule, days[-1]))
    assert days == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
                    date(2026, 4, 30), date(2026, 5, 31)]  # fmt: skip
    # Near the end of time there is no next one.
    assert followups.next_occurrence("FREQ=YEARLY", date(2200, 6, 1)) is None


def test_a_promise_is_recorded_with_its_owner_or_the_customers(db, kim):
    fid = followups.add(db, customer_id=kim, on=date(2026, 3, 10), note="  call back  ")
    f = followups.get(db, fid)
    assert (f.customer_id, f.due_on, f.note, f.status, f.rrule) == (
        kim, "2026-03-10", "call back", "open", None,
    )  # fmt: skip
    [row] = followups.rows(db)
    assert (row["code"], row["customer"], row["owner"], row["day"]) == (
        "K1", "Kim Minjun", "지수", "2026-03-10",
    )  # fmt: skip
    other = followups.add(db, customer_id=kim, on=date(2026, 3, 9), note="x", owner="Armen")
    assert [(r["id"], r["owner"]) for r in followups.rows(db)] == [(other, "Armen"), (fid, "지수")]


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"note": "   "}, "needs a --note"),
        ({"note": "a\x00"}, "--note contains a control character"),
        ({"owner": "\x1b"}, "--owner contains"),
        ({"on": date(1800, 1, 1)}, "outside the dates"),
        ({"every": "FREQ=HOURLY"}, "neither a span"),
    ],
)
def test_bad_promises_are_refused_and_nothing_is_written(db, kim, kwargs, said):
    with pytest.raises(InvalidValue, match=said):
        followups.add(db, **{"customer_id": kim, "on": date(2026, 3, 1), "note": "x", **kwargs})
    assert followups.rows(db, status=None) == []


def test_done_closes_a_promise_and_a_recurring_one_opens_the_next(db, kim):
    once = followups.add(db, customer_id=kim, on=date(2026, 3, 1), note="call")
    assert followups.done(db, once, note=" called ") is None
    f = followups.get(db, once)
    assert (f.status, f.done_note) == ("done", "called") and f.done_at
    monthly = followups.add(db, customer_id=kim, on=date(2026, 1, 31), note="rent", every="1m")
    nxt = followups.done(db, monthly)
    assert nxt is not None
    n = followups.get(db, nxt)
    assert (n.due_on, n.note, n.rrule, n.status) == (
        "2026-02-28",
        "rent",
        "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1",
        "open",
    )
    assert followups.get(db, monthly).status == "done"  # the history stays
    with pytest.raises(Conflict, match="already done"):
        followups.done(db, monthly)


def test_a_rule_that_has_run_out_opens_nothing(db, kim):
    fid = followups.add(db, customer_id=kim, on=date(2026, 3, 2), note="x",
                        every="FREQ=WEEKLY;UNTIL=20260310")  # fmt: skip
    nxt = followups.done(db, fid)
    assert followups.get(db, nxt).due_on == "2026-03-09"
    assert followups.done(db, nxt) is None


def test_snooze_moves_the_day_but_keeps_the_promise(db, kim):
    fid = followups.add(db, customer_id=kim, on=date(2026, 3, 10), note="x")
    followups.snooze(db, fid, until=date(2026, 3, 20))
    f = followups.get(db, fid)
    assert (f.due_on, f.snoozed_until, f.day) == ("2026-03-10", "2026-03-20", "2026-03-20")
    with pytest.raises(InvalidValue, match="a day after the promised 2026-03-10"):
        followups.snooze(db, fid, until=date(2026, 3, 9))
    with pytest.raises(InvalidValue, match="outside the dates"):
        followups.snooze(db, fid, until=date(2999, 1, 1))


def test_cancel_drops_a_promise_and_lists_filter_by_status(db, kim):
    a = followups.add(db, customer_id=kim, on=date(2026, 3, 10), note="a")
    b = followups.add(db, customer_id=kim, on=date(2026, 3, 11), note="b")
    followups.cancel(db, a)
    assert [r["id"] for r in followups.rows(db)] == [b]
    assert [r["id"] for r in followups.rows(db, status="cancelled")] == [a]
    assert [r["id"] for r in followups.rows(db, status=None)] == [a, b]
    assert followups.rows(db, customer_id=kim + 1) == []
    with pytest.raises(Conflict, match="already cancelled"):
        followups.cancel(db, a)
    with pytest.raises(Conflict):
        followups.snooze(db, a, until=date(2026, 4, 1))


def test_an_unknown_follow_up_is_not_found(db):
    for act in (followups.get, followups.done, followups.cancel):
        with pytest.raises(NotFound, match="no follow-up #42"):
            act(db, 42)
