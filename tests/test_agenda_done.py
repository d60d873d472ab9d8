"""agenda_done: an agenda item dealt with (done, skipped, sent) never comes back."""

from __future__ import annotations

from datetime import date

import pytest

from crmcli import agenda_done, complaints, contacts, customers, followups, privacy
from crmcli.errors import Conflict, InvalidValue, NotFound


@pytest.fixture
def kim(db):
    return customers.add(db, name="Kim Minjun", code="K1")


@pytest.mark.parametrize(
    ("key", "kind", "what"),
    [
        ("birthday:{c}:2026-03-14", "birthday", "birthday 2026-03-14"),
        ("anniversary:{c}:wedding:2026-05-19", "anniversary", "wedding anniversary 2026-05-19"),
        # A label may hold a colon; the day is the last part.
        ("anniversary:{c}:first: visit:2026-05-19", "anniversary",
         "first: visit anniversary 2026-05-19"),
        ("holiday:{c}:KR-seollal:2026-02-17", "holiday", "holiday 2026-02-17 (KR-seollal)"),
        ("after-sale:{c}:2026-03-01:9", "after-sale", "after-sale check (2026-03-01)"),
        ("family-birthday:{c}:3:2026-04-01", "family-birthday",
         "family birthday 2026-04-01 (relation #3)"),
        ("thanks:{c}:O:2026:7", "thanks", "thanks for order O:2026:7"),
        ("thanks:{c}:#12", "thanks", "thanks for purchase #12"),
        ("prospect:{c}:2026-03-01", "prospect", "prospect call due 2026-03-01"),
        ("visit:{c}:2026-06-01", "visit", "visit due 2026-06-01"),
    ],
)  # fmt: skip
def test_keys_are_read_as_what_they_stand_for(db, kim, key, kind, what):
    parsed = agenda_done.parse(db, f"  {key.format(c=kim)} ")
    assert (parsed.key, parsed.kind, parsed.customer_id, parsed.what) == (
        key.format(c=kim), kind, kim, what,
    )  # fmt: skip
    assert parsed.followup_id is None


def test_follow_up_and_complaint_keys_name_their_record(db, kim):
    fid = followups.add(db, customer_id=kim, on=date(2026, 3, 1), note="call")
    key = agenda_done.parse(db, f"followup:{fid}")
    assert (key.customer_id, key.what, key.followup_id) == (kim, f"follow-up #{fid}", fid)
    cid = complaints.open_complaint(db, customer_id=kim, summary="late", by=None)
    key = agenda_done.parse(db, f"complaint:{cid}:apologized")
    assert (key.kind, key.customer_id, key.what) == (
        "complaint",
        kim,
        f"complaint #{cid} apologized",
    )


@pytest.mark.parametrize(
    "key",
    ["", "birthday", "birthday:1", "birthday:x:2026-03-14", "birthday:{c}:2026-02-30",
     "birthday:{c}:2026-03-14:extra", "holiday:{c}:2026-02-17", "meteor:{c}:2026-01-01",
     "followup:x", "complaint:1", "visit:{c}:someday"],
)  # fmt: skip
def test_what_is_no_key_is_refused_saying_where_keys_come_from(db, kim, key):
    with pytest.raises(InvalidValue, match=r"is not an agenda key .*due --fields key"):
        agenda_done.parse(db, key.format(c=kim))


def test_a_key_of_no_one_is_not_found(db, kim):
    with pytest.raises(NotFound, match="no customer #99"):
        agenda_done.parse(db, "birthday:99:2026-03-14")
    with pytest.raises(NotFound, match="no complaint #5"):
        agenda_done.parse(db, "complaint:5:apologized")
    with pytest.raises(NotFound, match="no follow-up #5"):
        agenda_done.parse(db, "followup:5")
    privacy.forget(db, kim, compact=False)  # a forgotten customer is no one to call
    with pytest.raises(NotFound):
        agenda_done.parse(db, f"birthday:{kim}:2026-03-14")


def test_record_writes_one_contact_per_key_and_they_stay_dealt_with(db, kim):
    keys = [f"birthday:{kim}:2026-03-14", f"visit:{kim}:2026-06-01"]
    done = agenda_done.record(db, [*keys, keys[0]], outcome="done", note="called",
                              by="지수", at="2026-03-14T10:00:00")  # fmt: skip
    assert [k.key for k in done] == keys  # a key given twice is done once
    assert agenda_done.dealt_with(db, [*keys, "visit:1:2030-01-01"]) == {
        keys[0]: ("done", "2026-03-14"), keys[1]: ("done", "2026-03-14"),
    }  # fmt: skip
    notes = sorted(r["note"] for r in contacts.rows(db))
    assert notes == ["done: birthday 2026-03-14 — called", "done: visit due 2026-06-01 — called"]
    assert {r["channel"] for r in contacts.rows(db)} == {"other"}
    with pytest.raises(Conflict, match=r"already dealt with: birthday:\d+:2026-03-14 \(done on"):
        agenda_done.record(db, keys[:1], outcome="skipped")


def test_sent_greetings_are_messages_with_their_own_text(db, kim):
    key = f"holiday:{kim}:KR-seollal:2026-02-17"
    agenda_done.record(db, [key], outcome="sent", notes={key: "새해 복 많이 받으세요"})
    [row] = contacts.rows(db)
    assert (row["channel"], row["note"]) == (
        "message", "sent: holiday 2026-02-17 (KR-seollal) — 새해 복 많이 받으세요",
    )  # fmt: skip


def test_a_follow_up_done_is_closed_and_one_skipped_is_cancelled(db, kim):
    a = followups.add(db, customer_id=kim, on=date(2026, 3, 1), note="a", every="1w")
    b = followups.add(db, customer_id=kim, on=date(2026, 3, 1), note="b")
    agenda_done.record(db, [f"followup:{a}"], outcome="done", note="ok")
    agenda_done.record(db, [f"followup:{b}"], outcome="skipped")
    assert (followups.get(db, a).status, followups.get(db, b).status) == ("done", "cancelled")
    # The weekly one opened its next occurrence.
    assert [r["due_on"] for r in followups.rows(db)] == ["2026-03-08"]


def test_all_or_nothing(db, kim):
    good = f"birthday:{kim}:2026-03-14"
    with pytest.raises(NotFound):
        agenda_done.record(db, [good, "birthday:99:2026-03-14"], outcome="done")
    assert agenda_done.dealt_with(db, [good]) == {}
    cid = complaints.open_complaint(db, customer_id=kim, summary="late", by=None)
    with pytest.raises(InvalidValue, match="moves on through its stages"):
        agenda_done.record(db, [good, f"complaint:{cid}:apologized"], outcome="done")
    assert contacts.rows(db) == []
    agenda_done.record(db, [f"complaint:{cid}:apologized"], outcome="skipped")  # skip is fine


@pytest.mark.parametrize(
    ("keys", "outcome", "said"),
    [([], "done", "name at least one key"), (["birthday:1:2026-01-01"], "ignored", "outcome")],
)
def test_record_refuses_no_keys_and_unknown_outcomes(db, kim, keys, outcome, said):
    with pytest.raises(InvalidValue, match=said):
        agenda_done.record(db, keys, outcome=outcome)


def test_dealt_with_nothing_asked_is_nothing(db):
    assert agenda_done.dealt_with(db, []) == {}
