"""The two-till scenario's own check (benchmarks/two_tills.py) finds what went wrong."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))

import two_tills

from crmcli import complaints, customers, followups, purchases
from crmcli.db import open_db


def test_the_check_finds_a_purchase_no_till_recorded_and_passes_the_rest(tmp_path):
    path = tmp_path / "shop.db"
    with open_db(path) as db:
        kim = customers.add(db, name="Kim", code="C0001")
        for micros in (10_000_000, 20_000_000):
            purchases.add(db, customer_id=kim, amount_micros=micros, on=date(2026, 1, 5))
        complaint = complaints.open_complaint(db, customer_id=kim, summary="lid", by="A")
        complaints.advance(db, complaint, to="apologized", by="B")
        call = followups.add(db, customer_id=kim, on=date(2026, 12, 1), note="call", every="1w")
        followups.done(db, call)
    tally = two_tills.Tally(
        recorded=[1], followups_done=1
    )  # the tills were told of purchase #1 only
    assert two_tills.check(str(path), tally) == [
        "purchases: 2 stored, 1 recorded by the tills and 0 imported"
    ]
    tally.failures.append("due: exit 2: Traceback …")
    tally.recorded.append(2)
    assert two_tills.check(str(path), tally) == ["due: exit 2: Traceback …"]


def test_the_check_finds_a_weekly_follow_up_advanced_twice_for_one_done(tmp_path):
    path = tmp_path / "shop.db"
    with open_db(path) as db:
        kim = customers.add(db, name="Kim", code="C0001")
        call = followups.add(db, customer_id=kim, on=date(2026, 12, 1), note="call", every="1w")
        followups.done(db, call)
        # What two tills marking it done at once left before its row was locked: both
        # told "done", the next week's call there twice.
        followups.add(db, customer_id=kim, on=date(2026, 12, 8), note="call", every="1w")
    tally = two_tills.Tally(recorded=[], followups_done=2)
    assert two_tills.check(str(path), tally) == [
        "follow-ups: 3 stored (2 open), 2 marked done by the tills;"
        " days 2026-12-01, 2026-12-08, 2026-12-08"
    ]
