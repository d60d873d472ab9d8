"""contacts: the log of every call, visit, message or card sent to a customer."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crmcli import contacts, customers
from crmcli.errors import InvalidValue


@pytest.fixture
def two(db):
    return customers.add(db, name="Kim Minjun", code="K1"), customers.add(db, name="Lee Ana")


def test_a_contact_is_logged_with_its_channel_note_and_who(db, two):
    kim, _ = two
    cid = contacts.log(db, customer_id=kim, channel=" Call ", note="  asked about beans  ",
                       by="지수", at="2026-03-01T09:30:00+00:00")  # fmt: skip
    [row] = contacts.rows(db)
    assert row == {
        "id": cid, "at": "2026-03-01T09:30:00+00:00", "code": "K1", "customer": "Kim Minjun",
        "channel": "call", "note": "asked about beans", "by": "지수",
    }  # fmt: skip


def test_blank_note_and_by_are_stored_as_nothing(db, two):
    kim, _ = two
    contacts.log(db, customer_id=kim, channel="sms", note="   ", by="")
    [row] = contacts.rows(db)
    assert (row["note"], row["by"]) == (None, None)


def test_the_time_is_now_unless_given(db, two):
    kim, _ = two
    before = datetime.now(timezone.utc).replace(microsecond=0)
    contacts.log(db, customer_id=kim, channel="visit")
    at = datetime.fromisoformat(contacts.rows(db)[0]["at"])
    assert at.tzinfo is not None
    assert before <= at.astimezone(timezone.utc) <= datetime.now(timezone.utc)
    contacts.log(db, customer_id=kim, channel="mail", at=datetime(2020, 1, 2, 3, 4, 5))
    assert contacts.rows(db)[-1]["at"] == "2020-01-02T03:04:05"


def test_rows_are_newest_first_per_customer_and_limited(db, two):
    kim, lee = two
    for day in ("2026-01-03", "2026-01-01", "2026-01-02"):
        contacts.log(db, customer_id=kim, channel="call", at=f"{day}T10:00:00", note=day)
    contacts.log(db, customer_id=lee, channel="email", at="2026-01-05T10:00:00")
    contacts.log(db, customer_id=lee, channel="email", at="2026-01-05T10:00:00", note="same time")
    assert [r["note"] for r in contacts.rows(db, customer_id=kim)] == [
        "2026-01-03", "2026-01-02", "2026-01-01",
    ]  # fmt: skip
    # Same moment: the later entry first.
    assert [r["note"] for r in contacts.rows(db, customer_id=lee)] == ["same time", None]
    assert len(contacts.rows(db)) == 5
    assert [r["customer"] for r in contacts.rows(db, limit=2)] == ["Lee Ana", "Lee Ana"]


def test_an_agenda_item_dealt_with_is_recorded_with_its_outcome(db, two):
    kim, _ = two
    contacts.log(db, customer_id=kim, channel="other", item="birthday:1:2026", outcome="skipped")
    row = db.execute("SELECT item, outcome FROM contacts").fetchone()
    assert tuple(row) == ("birthday:1:2026", "skipped")


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"channel": "pigeon"}, "channel must be one of: call, visit"),
        ({"channel": ""}, "channel must be one of"),
        ({"channel": "call", "outcome": "maybe"}, "outcome must be one of: done, skipped, sent"),
        ({"channel": "call", "note": "a\x1bb"}, "--note contains a control character"),
        ({"channel": "call", "by": "x" * 10_001}, "--by is 10,001 characters long"),
    ],
)
def test_bad_contacts_are_refused_and_nothing_is_written(db, two, kwargs, said):
    kim, _ = two
    with pytest.raises(InvalidValue, match=said):
        contacts.log(db, customer_id=kim, **kwargs)
    assert contacts.rows(db) == []


def test_every_channel_and_outcome_is_accepted(db, two):
    kim, _ = two
    for channel in contacts.CHANNELS:
        contacts.log(db, customer_id=kim, channel=channel.upper())
    for outcome in contacts.OUTCOMES:
        contacts.log(db, customer_id=kim, channel="call", outcome=outcome)
    assert sorted({r["channel"] for r in contacts.rows(db, limit=100)}) == sorted(contacts.CHANNELS)


# --- `contacts log` on the command line ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--visit", "--channel", "call"), "--visit is a contact by --channel visit, not 'call'"),
        (("--channel", "call", "--outcome", "met"), "--outcome goes with --visit"),
        ((), "give --channel (call, visit, sms…) or --visit"),
    ],
)
def test_contacts_log_refuses_options_that_do_not_go_together(cli, args, said):
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    result = cli("contacts", "log", "K1", *args, ok=False)
    assert result.exit_code == 2 and said in result.stderr
    assert cli("contacts", "list", "--format", "csv").stdout.count("\n") <= 1  # nothing logged
