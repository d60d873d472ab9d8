"""ics: the agenda as an iCalendar file (RFC 5545) that a calendar app subscribes to."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from crmcli import agenda, customers, followups, ics
from crmcli.agenda import Entry, Item, Person


def _person(**given) -> Person:
    fields = dict(
        id=7, code="K001", name="김민준", family_name="김", given_name="민준", patronymic=None,
        salutation_override=None, gender=None, locale_field="ko", email=None, owner=None,
        contact_days=None, phone=None,
    )  # fmt: skip
    return Person(**{**fields, **given})


def _entry(day: date, *, kind: str = "birthday", key: str = "birthday:7:2026", **person) -> Entry:
    item = Item(kind=kind, customer_id=7, on=day, why="birthday on 2026-03-14", day=day, key=key)
    return Entry(item, _person(**person))


def _events(data: bytes) -> list:
    cal = Calendar.from_ical(data)
    return [c for c in cal.walk() if c.name == "VEVENT"]


def test_a_calendar_says_who_made_it_and_what_it_is():
    data = ics.calendar([], name="Bean agenda")
    cal = Calendar.from_ical(data)
    assert str(cal["prodid"]) == ics.PRODID
    assert str(cal["version"]) == "2.0"
    assert str(cal["x-wr-calname"]) == "Bean agenda"
    assert _events(data) == []  # nothing due: a valid, empty calendar
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")


def test_each_item_is_one_all_day_event_on_the_day_to_act():
    day = date(2026, 3, 14)
    [event] = _events(ics.calendar([_entry(day)]))
    assert event["dtstart"].dt == day and not isinstance(event["dtstart"].dt, datetime)
    assert event["dtend"].dt == day + timedelta(days=1)  # DTEND is exclusive: one whole day
    assert str(event["uid"]) == "birthday:7:2026@crmcli"
    assert str(event["summary"]) == "birthday: K001 김민준"
    assert [str(c) for c in event["categories"].cats] == ["birthday"]
    stamp = event["dtstamp"].dt
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=5)


def test_the_description_has_the_reason_and_only_the_ways_to_reach_that_exist():
    bare = _events(ics.calendar([_entry(date(2026, 3, 14))]))[0]
    assert str(bare["description"]) == "birthday on 2026-03-14\nsalutation: 김민준 고객님"
    full = _entry(date(2026, 3, 14), phone="010-1234-5678", email="minjun@example.kr", owner="지수")
    lines = str(_events(ics.calendar([full]))[0]["description"]).splitlines()
    assert lines == [
        "birthday on 2026-03-14",
        "salutation: 김민준 고객님",
        "phone: 010-1234-5678",
        "e-mail: minjun@example.kr",
        "owner: 지수",
    ]


def test_two_customers_of_one_name_on_one_day_are_two_events_told_apart():
    day = date(2026, 3, 14)
    entries = [
        _entry(day, key="birthday:1:2026", code="B1", name="Bruce Wayne", locale_field="en"),
        _entry(day, key="birthday:2:2026", code=None, id=2, name="Bruce Wayne", locale_field="en"),
    ]
    events = _events(ics.calendar(entries))
    assert sorted(str(e["uid"]) for e in events) == [
        "birthday:1:2026@crmcli",
        "birthday:2:2026@crmcli",
    ]
    assert sorted(str(e["summary"]) for e in events) == [
        "birthday: #2 Bruce Wayne",  # no code: the id
        "birthday: B1 Bruce Wayne",
    ]


def test_text_that_ical_must_escape_survives_a_round_trip():
    why = 'call back; "as promised", about: the grinder\\descaler'
    item = Item(kind="followup", customer_id=7, on=date(2026, 3, 1), why=why,
                day=date(2026, 3, 1), key="f:1")  # fmt: skip
    data = ics.calendar([Entry(item, _person(name="Anna, Maria; Lee"))])
    [event] = _events(data)
    assert str(event["summary"]) == "followup: K001 Anna, Maria; Lee"
    assert str(event["description"]).splitlines()[0] == why
    # Lines are folded at 75 octets, never inside a multi-byte character.
    long = _entry(date(2026, 3, 1), name="황보 서연 아름다운 하늘" * 6)
    for line in ics.calendar([long]).split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")


def test_an_agenda_exported_twice_keeps_its_uids(db):
    cid = customers.add(db, name="Kim Minjun", code="K1", birthday="1985-03-14")
    followups.add(db, customer_id=cid, on=date(2026, 3, 10), note="call back")
    entries = agenda.due(db, start=date(2026, 3, 10), end=date(2026, 3, 20))
    first = {str(e["uid"]): str(e["summary"]) for e in _events(ics.calendar(entries))}
    again = agenda.due(db, start=date(2026, 3, 10), end=date(2026, 3, 20))
    second = {str(e["uid"]): str(e["summary"]) for e in _events(ics.calendar(again))}
    assert first == second
    assert sorted(s.split(":")[0] for s in first.values()) == ["birthday", "followup"]
    assert len(first) == len(entries) == 2


@pytest.mark.parametrize("count", [0, 1, 25])
def test_every_entry_becomes_exactly_one_event(count):
    start = date(2026, 1, 1)
    entries = [_entry(start + timedelta(days=n), key=f"k{n}") for n in range(count)]
    events = _events(ics.calendar(entries))
    assert [e["dtstart"].dt for e in events] == [e.item.day for e in entries]
