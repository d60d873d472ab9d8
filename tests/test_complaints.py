"""Complaints: the stage machine, walked exhaustively, its history, deadlines and report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcli import complaints, customers, purchases, settings
from crmcli.complaints import STAGES
from crmcli.errors import Conflict, CrmError, InvalidValue, NotFound, UsageError

# What each stage needs, given in full when a test moves a complaint there.
FULL = {
    "received": {},
    "apologized": {"note": "said sorry in person"},
    "cause-found": {"cause": "product-quality", "detail": "seam split"},
    "resolved": {
        "resolution": "replaced the coat",
        "compensation": "replacement",
        "amount_micros": 120_000_000_000,
    },
    "followed-up": {"note": "called: the new coat is fine"},
    "closed": {"lesson": "check seams before sale"},
}


def _customer(db, name="김민준"):
    return customers.add(db, name=name)


def _open(db, customer_id, *, on=None, summary="coat seam split", severity="normal"):
    return complaints.open_complaint(
        db, customer_id=customer_id, summary=summary, by="ann", on=on, severity=severity
    )


def _walk_to(db, complaint_id, stage, *, days=None):
    """Advance one stage at a time up to `stage`; `days` gives each step's date."""
    current = complaints.get(db, complaint_id).stage
    for i in range(STAGES.index(current) + 1, STAGES.index(stage) + 1):
        on = days[i] if days else None
        complaints.advance(db, complaint_id, to=STAGES[i], by="ann", on=on, **FULL[STAGES[i]])


def _snapshot(db):
    return (
        db.execute("SELECT * FROM complaints ORDER BY id").fetchall(),
        db.execute("SELECT * FROM complaint_events ORDER BY id").fetchall(),
    )


def test_open_records_a_received_event(db):
    k = _customer(db)
    cid = _open(db, k)
    c = complaints.get(db, cid)
    assert (c.customer_id, c.stage, c.severity, c.version) == (k, "received", "normal", 0)
    assert [(e.from_stage, e.to_stage, e.by, e.kind) for e in c.events] == [
        (None, "received", "ann", "opened")
    ]


def test_open_refuses_bad_input_and_writes_nothing(db):
    k = _customer(db)
    other = _customer(db, "Ani")
    theirs = purchases.add(db, customer_id=other, amount_micros=1, on=date(2026, 1, 1))
    before = _snapshot(db)
    with pytest.raises(InvalidValue, match="summary"):
        complaints.open_complaint(db, customer_id=k, summary="  ", by="ann")
    with pytest.raises(InvalidValue, match="severity"):
        complaints.open_complaint(db, customer_id=k, summary="x", by="a", severity="urgent")
    with pytest.raises(NotFound):
        complaints.open_complaint(db, customer_id=99, summary="x", by="ann")
    with pytest.raises(InvalidValue, match="belongs to customer"):
        complaints.open_complaint(db, customer_id=k, summary="x", by="a", purchase_id=theirs)
    with pytest.raises(InvalidValue, match="future"):
        complaints.open_complaint(db, customer_id=k, summary="x", by="a", on=date(2999, 1, 1))
    assert _snapshot(db) == before


def test_the_full_walk_fills_each_stage_field(db):
    cid = _open(db, _customer(db))
    _walk_to(db, cid, "closed")
    c = complaints.get(db, cid)
    assert c.stage == "closed" and c.closed_at is not None
    assert (c.cause, c.cause_detail) == ("product-quality", "seam split")
    assert (c.resolution, c.compensation, c.compensation_micros) == (
        "replaced the coat",
        "replacement",
        120_000_000_000,
    )
    assert c.lesson == "check seams before sale"
    assert [e.to_stage for e in c.events] == list(STAGES)
    assert c.version == 5
    assert c.events[3].fields == {
        "resolution": "replaced the coat",
        "compensation": "replacement",
        "amount_micros": 120_000_000_000,
    }


# Every (from, to) pair, with and without a skip reason: the move succeeds exactly
# when it goes forward, is not from `closed`, and has a reason iff it skips a stage.
@pytest.mark.parametrize("skip", [False, True], ids=["no-skip-reason", "skip-reason"])
@pytest.mark.parametrize("to", STAGES)
@pytest.mark.parametrize("start", STAGES)
def test_every_transition(db, start, to, skip):
    cid = _open(db, _customer(db))
    _walk_to(db, cid, start)
    before = _snapshot(db)
    here, there = STAGES.index(start), STAGES.index(to)
    allowed = start != "closed" and there > here and (there > here + 1) == skip
    kwargs = dict(FULL[to])
    if skip:
        kwargs["skip_reason"] = "customer asked to settle at once"
    if not allowed:
        with pytest.raises(CrmError) as caught:
            complaints.advance(db, cid, to=to, by="bob", **kwargs)
        message = str(caught.value)
        assert message and "Traceback" not in message
        if start == "closed":
            assert "reopen" in message
        elif there <= here:
            assert isinstance(caught.value, Conflict)
        else:
            assert "skip" in message
        assert _snapshot(db) == before
        return
    event = complaints.advance(db, cid, to=to, by="bob", **kwargs)
    after = complaints.get(db, cid)
    assert after.stage == to
    assert after.version == complaints.get(db, cid).version == len(after.events) - 1
    assert (event.from_stage, event.to_stage, event.by) == (start, to, "bob")
    assert event.skip_reason == kwargs.get("skip_reason")
    assert len(after.events) == len(before[1]) + 1


@pytest.mark.parametrize("to", ["cause-found", "resolved", "followed-up", "closed"])
def test_each_required_field_is_required(db, to):
    cid = _open(db, _customer(db))
    _walk_to(db, cid, STAGES[STAGES.index(to) - 1])
    for missing in complaints.STAGE[to].required:
        kwargs = {k: v for k, v in FULL[to].items() if k != missing}
        before = _snapshot(db)
        # The core names the field (the CLI its flag: test_complaints_cli.py).
        with pytest.raises(UsageError, match=rf"stage {to} needs {missing} \("):
            complaints.advance(db, cid, to=to, by="ann", **kwargs)
        assert _snapshot(db) == before


def test_fields_of_another_stage_are_refused(db):
    cid = _open(db, _customer(db))
    before = _snapshot(db)
    with pytest.raises(UsageError, match=r"^lesson belongs to stage closed, not to apologized"):
        complaints.advance(db, cid, to="apologized", by="a", lesson="too early")
    with pytest.raises(UsageError, match=r"^amount belongs to stage resolved"):
        complaints.advance(db, cid, to="apologized", by="a", amount_micros=5)
    assert _snapshot(db) == before


def test_fields_of_skipped_stages_are_welcome(db):
    cid = _open(db, _customer(db))
    complaints.advance(
        db,
        cid,
        to="resolved",
        by="ann",
        resolution="refunded",
        cause="expectation",
        skip_reason="refunded on the spot",
    )
    c = complaints.get(db, cid)
    assert (c.stage, c.cause, c.resolution) == ("resolved", "expectation", "refunded")
    assert c.events[-1].skip_reason == "refunded on the spot"


def test_bad_values_are_refused(db):
    cid = _open(db, _customer(db))
    _walk_to(db, cid, "apologized")
    with pytest.raises(InvalidValue, match=r"^cause must be one of"):
        complaints.advance(db, cid, to="cause-found", by="a", cause="bad-luck", detail="d")
    _walk_to(db, cid, "cause-found")
    with pytest.raises(UsageError, match=r"^amount is the value of a compensation"):
        complaints.advance(db, cid, to="resolved", by="a", resolution="x", amount_micros=1)
    with pytest.raises(InvalidValue, match="negative"):
        complaints.advance(
            db, cid, to="resolved", by="a", resolution="x", compensation="gift", amount_micros=-1
        )
    with pytest.raises(InvalidValue, match=r"^to must be one of"):
        complaints.advance(db, cid, to="fixed", by="a")
    with pytest.raises(NotFound):
        complaints.advance(db, 999, to="apologized", by="a")
    assert complaints.get(db, cid).stage == "cause-found"


@pytest.mark.parametrize("start", STAGES)
def test_reopen_only_from_closed_and_back_to_received(db, start):
    cid = _open(db, _customer(db))
    _walk_to(db, cid, start)
    before = _snapshot(db)
    if start != "closed":
        with pytest.raises(Conflict, match="only a closed complaint"):
            complaints.reopen(db, cid, reason="came back", by="bob")
        assert _snapshot(db) == before
        return
    with pytest.raises(UsageError, match="needs reason"):
        complaints.reopen(db, cid, reason=" ", by="bob")
    assert _snapshot(db) == before
    event = complaints.reopen(db, cid, reason="the zip broke again", by="bob")
    c = complaints.get(db, cid)
    assert (c.stage, c.closed_at, event.kind, event.note) == (
        "received",
        None,
        "reopened",
        "the zip broke again",
    )
    _walk_to(db, cid, "closed")  # the whole process again
    assert [e.to_stage for e in complaints.get(db, cid).events] == [*STAGES, *STAGES]


def test_expected_stage_guards_against_a_stale_view(db):
    cid = _open(db, _customer(db))
    complaints.advance(db, cid, to="apologized", by="ann")
    with pytest.raises(Conflict, match="now at stage apologized"):
        complaints.advance(db, cid, to="apologized", by="bob", expect_stage="received")


def test_history_is_append_only(db):
    cid = _open(db, _customer(db))
    with pytest.raises(db.Error, match="append-only") as edited:
        db.execute("UPDATE complaint_events SET note = 'edited' WHERE complaint_id = ?", [cid])
    assert db.is_append_only_error(edited.value)
    with pytest.raises(db.Error, match="append-only") as deleted:
        db.execute("DELETE FROM complaint_events WHERE complaint_id = ?", [cid])
    assert db.is_append_only_error(deleted.value)
    assert len(complaints.events(db, cid)) == 1


def test_a_step_on_an_earlier_day_than_the_last_is_refused(db):
    cid = _open(db, _customer(db), on=date(2026, 11, 5))
    with pytest.raises(InvalidValue, match="before the complaint's last step"):
        complaints.advance(db, cid, to="apologized", by="a", on=date(2026, 11, 4))
    event = complaints.advance(db, cid, to="apologized", by="a", on=date(2026, 11, 5))
    assert event.at >= complaints.get(db, cid).opened_at


# --- deadlines ------------------------------------------------------------------------


def test_overdue_follows_the_stage_deadlines(db):
    k = _customer(db)
    cid = _open(db, k, on=date(2026, 11, 2), summary="late delivery", severity="high")
    day = date(2026, 11, 2)
    assert complaints.overdue(db, as_of=day) == []
    [item] = complaints.overdue(db, as_of=date(2026, 11, 3))
    assert item == complaints.Overdue(
        complaint_id=cid,
        customer_id=k,
        stage="received",
        next_stage="apologized",
        due_on=date(2026, 11, 3),
        days_overdue=0,
        summary="late delivery",
        severity="high",
    )
    assert complaints.overdue(db, as_of=date(2026, 11, 6))[0].days_overdue == 3
    # Apologised: finding the cause is due two days after receipt, not after the apology.
    complaints.advance(db, cid, to="apologized", by="a", on=date(2026, 11, 3))
    [item] = complaints.overdue(db, as_of=date(2026, 11, 6))
    assert (item.next_stage, item.due_on, item.days_overdue) == (
        "cause-found",
        date(2026, 11, 4),
        2,
    )
    _walk_to(db, cid, "resolved", days=[None, None, date(2026, 11, 4), date(2026, 11, 10)])
    # Follow-up is due seven days after the resolution.
    assert complaints.overdue(db, as_of=date(2026, 11, 16)) == []
    [item] = complaints.overdue(db, as_of=date(2026, 11, 17))
    assert (item.stage, item.next_stage, item.due_on) == (
        "resolved",
        "followed-up",
        date(2026, 11, 17),
    )
    _walk_to(db, cid, "closed")
    assert complaints.overdue(db, as_of=date(2027, 1, 1)) == []


def test_deadlines_are_settings(db):
    _open(db, _customer(db), on=date(2026, 11, 2))
    settings.set_value(db, "complaints.deadline.apologized", "1w")
    assert complaints.overdue(db, as_of=date(2026, 11, 8)) == []
    assert complaints.overdue(db, as_of=date(2026, 11, 9))[0].due_on == date(2026, 11, 9)
    settings.set_value(db, "complaints.deadline.apologized", "1m")
    [item] = complaints.overdue(db, as_of=date(2026, 12, 31))
    assert item.due_on == date(2026, 12, 2)
    settings.set_value(db, "complaints.deadline.apologized", "")
    assert complaints.overdue(db, as_of=date(2027, 1, 1)) == []
    with pytest.raises(InvalidValue):
        settings.set_value(db, "complaints.deadline.resolved", "soon")


def test_overdue_puts_a_tier_customers_first(db):
    plain = _customer(db, "C customer")
    vip = _customer(db, "A customer")
    db.execute("UPDATE customers SET tier_override = 'A' WHERE id = ?", [vip])
    _open(db, plain, on=date(2026, 11, 1))
    _open(db, vip, on=date(2026, 11, 3))
    found = complaints.overdue(db, as_of=date(2026, 11, 10))
    assert [o.customer_id for o in found] == [vip, plain]


def test_reopened_deadlines_count_from_the_reopening(db):
    cid = _open(db, _customer(db), on=date(2026, 11, 1))
    days = [None, date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    _walk_to(db, cid, "closed", days=[*days, date(2026, 11, 10), date(2026, 11, 11)])
    complaints.reopen(db, cid, reason="again", by="bob", on=date(2026, 11, 20))
    [item] = complaints.overdue(db, as_of=date(2026, 11, 21))
    assert (item.next_stage, item.due_on) == ("apologized", date(2026, 11, 21))


# --- listing and report -----------------------------------------------------------------


def test_rows_filter_and_sort(db):
    plain = _customer(db, "Plain")
    vip = _customer(db, "Vip")
    db.execute("UPDATE customers SET tier_override = 'A' WHERE id = ?", [vip])
    first = _open(db, plain, on=date(2026, 11, 1))
    second = _open(db, vip, on=date(2026, 11, 5))
    third = _open(db, plain, on=date(2026, 11, 6))
    _walk_to(db, third, "closed")
    assert [r["id"] for r in complaints.rows(db)] == [second, first, third]
    assert [r["id"] for r in complaints.rows(db, open_only=True)] == [second, first]
    assert [r["id"] for r in complaints.rows(db, stages=["closed"])] == [third]
    assert [r["id"] for r in complaints.rows(db, customer_id=plain)] == [first, third]
    assert [r["id"] for r in complaints.rows(db, cause="product-quality")] == [third]
    assert [r["id"] for r in complaints.rows(db, since=date(2026, 11, 5))] == [second, third]
    overdue = complaints.rows(db, overdue_as_of=date(2026, 11, 4))
    assert [(r["id"], r["days_overdue"]) for r in overdue] == [(first, 2)]
    with pytest.raises(InvalidValue):
        complaints.rows(db, stages=["done"])


def test_report(db):
    kim, ani = _customer(db, "김민준"), _customer(db, "Ani")
    a = _open(db, kim, on=date(2026, 10, 1))
    b = _open(db, kim, on=date(2026, 10, 2))
    _open(db, ani, on=date(2026, 10, 3))
    # a: resolved after 2 days with a replacement, then closed
    days = [None, date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3), date(2026, 10, 4)]
    _walk_to(db, a, "closed", days=[*days, date(2026, 10, 5)])
    # b: resolved after 4 days with a 10.5 gift, reopened, resolved again with another refund
    days = [None, date(2026, 10, 2), date(2026, 10, 3), date(2026, 10, 6), date(2026, 10, 7)]
    days.append(date(2026, 10, 8))
    for stage in STAGES[1:]:
        kwargs = dict(FULL[stage])
        if stage == "resolved":
            kwargs.update(compensation="gift", amount_micros=10_500_000)
        if stage == "closed":
            kwargs["lesson"] = "Explain delivery times at the till"
        complaints.advance(db, b, to=stage, by="a", on=days[STAGES.index(stage)], **kwargs)
    complaints.reopen(db, b, reason="again", by="a", on=date(2026, 10, 9))
    complaints.advance(
        db,
        b,
        to="resolved",
        by="a",
        resolution="refund",
        compensation="refund",
        amount_micros=1_000_000,
        skip_reason="known issue",
        on=date(2026, 10, 9),
    )
    r = complaints.report(db)
    assert (r.total, r.open) == (3, 2)
    assert r.by_stage == dict.fromkeys(STAGES, 0) | {"received": 1, "resolved": 1, "closed": 1}
    assert r.by_cause["product-quality"] == 2 and r.by_cause[complaints.UNKNOWN_CAUSE] == 1
    assert r.resolved == 2
    assert (r.median_days_to_resolve, r.p90_days_to_resolve) == (Decimal("3.0"), Decimal("4.0"))
    assert r.compensation_micros == 120_000_000_000 + 10_500_000 + 1_000_000
    assert r.compensation_by_kind["gift"] == (1, 10_500_000)
    assert [(x["customer_id"], x["complaints"]) for x in r.repeat_complainers] == [(kim, 2)]
    assert [x["lesson"] for x in r.lessons] == [
        "Explain delivery times at the till",
        "check seams before sale",
    ]
    assert [x["complaint_id"] for x in complaints.report(db, grep="DELIVERY").lessons] == [b]
    since = complaints.report(db, since=date(2026, 10, 3))
    assert (since.total, since.repeat_complainers, since.resolved) == (1, [], 0)
    assert since.median_days_to_resolve is None


def test_percentile_is_nearest_rank():
    assert complaints.percentile([5, 1, 2, 3, 4, 6, 7, 8, 9, 10], 0.9) == 9
    assert complaints.percentile([1.5], 0.9) == 1.5


def test_duration_text():
    assert complaints.duration_text(0) == "0m"
    assert complaints.duration_text(3 * 3600 + 5 * 60) == "3h 5m"
    assert complaints.duration_text(2 * 86400) == "2d"
    assert complaints.duration_text(2 * 86400 + 7200 + 59) == "2d 2h"
