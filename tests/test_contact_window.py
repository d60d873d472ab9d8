"""contact_window: the weekdays and hours a customer takes calls (domain §4, "right time")."""

from __future__ import annotations

from datetime import date

import pytest

from crmcli.contact_window import describe, next_allowed_day, parse_days, parse_hours
from crmcli.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("mon-fri", "12345"),
        ("sat,sun", "67"),
        ("1-5", "12345"),
        ("weekdays", "12345"),
        ("weekend", "67"),
        ("weekends", "67"),
        ("any", "1234567"),
        ("  MON - WED ", "123"),  # case and spaces do not matter
        ("monday,friday", "15"),  # full names are read by their first three letters
        ("fri-mon", "1567"),  # a range wraps past Sunday
        ("sun-sun", "7"),
        ("wed,mon,wed", "13"),  # repeats collapse, the digits come out in order
        ("mon,,tue,", "12"),  # empty parts are skipped
        ("7,1", "17"),
    ],
)
def test_days_are_read_as_iso_weekday_digits(text, digits):
    assert parse_days(text) == digits


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "at least one day"),
        (",", "at least one day"),
        ("0", "not a weekday"),
        ("8", "not a weekday"),
        ("mo", "not a weekday"),  # two letters name no day unambiguously
        ("mon-", "not a weekday"),
        ("holiday", "not a weekday"),
        ("mon-wed-fri", "not a day or a range of days"),
    ],
)
def test_bad_days_are_refused_with_a_reason(text, said):
    with pytest.raises(InvalidValue, match=said):
        parse_days(text)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("09:00-18:00", ("09:00", "18:00")),
        ("9-18", ("09:00", "18:00")),
        ("9:30 - 17:45", ("09:30", "17:45")),
        ("930-1800", ("09:30", "18:00")),
        ("0-24", ("00:00", "24:00")),
        (" 18-9 ", ("18:00", "09:00")),  # an evening window across midnight is kept as written
    ],
)
def test_hours_are_read_as_two_clock_times(text, hours):
    assert parse_hours(text) == hours


NOT_HOURS = ["", "9", "9-", "morning", "25-26", "9-25", "9:60-18", "9-18:75", "9:5-18", "9–18h"]


@pytest.mark.parametrize("text", [*NOT_HOURS, "9-24:30", "24:01-9"])  # 24:00 ends a day
def test_bad_hours_are_refused(text):
    with pytest.raises(InvalidValue, match="range of hours"):
        parse_hours(text)


def test_describe_speaks_of_days_and_hours_as_people_do():
    assert describe("12345", "09:00", "18:00") == "mon,tue,wed,thu,fri 09:00-18:00"
    assert describe("67", None, None) == "sat,sun"
    assert describe(None, "10:00", "12:00") == "10:00-12:00"
    # Hours need both ends; nothing set says nothing.
    assert describe(None, "10:00", None) == ""
    assert describe(None, None, None) == ""
    assert describe(parse_days("fri-mon"), *parse_hours("18-9")) == "mon,fri,sat,sun 18:00-09:00"


def test_next_allowed_day_is_the_day_itself_or_the_next_one_taken():
    saturday = date(2026, 11, 28)
    assert saturday.isoweekday() == 6
    assert next_allowed_day(saturday, None) == saturday  # no window: any day
    assert next_allowed_day(saturday, "") == saturday
    assert next_allowed_day(saturday, "67") == saturday
    assert next_allowed_day(saturday, "12345") == date(2026, 11, 30)  # Monday
    assert next_allowed_day(saturday, "3") == date(2026, 12, 2)  # Wednesday, across a month
    assert next_allowed_day(date(2026, 12, 31), "5") == date(2027, 1, 1)  # and a year


def test_next_allowed_day_never_moves_a_week_or_more():
    day = date(2026, 3, 2)  # a Monday
    for digits in ("1", "2", "3", "4", "5", "6", "7"):
        moved = next_allowed_day(day, digits)
        assert 0 <= (moved - day).days < 7
        assert str(moved.isoweekday()) == digits
    # A window naming no real weekday (a damaged row) leaves the day alone.
    assert next_allowed_day(day, "9") == day
