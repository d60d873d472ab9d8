"""Lunar dates: conversions on the Korean and Chinese calendars, and their yearly rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli import lunar

# The lunar tables start at lunar new year 1900 (31 January 1900).
LUNAR_DAYS = st.dates(min_value=date(1900, 1, 31), max_value=date(2099, 12, 31))


def test_lunar_year_2050_round_trips_in_korea():
    # found by the property test below: Korean tables read the day, Chinese wrote it back
    day = date(2050, 3, 1)
    year, month, dd, leap = lunar.to_lunar(day, "korean")
    assert lunar.lunar_occurrence(month, dd, year, leap=leap, calendar="korean") == day


@pytest.mark.parametrize("calendar", lunar.CALENDARS)
def test_chuseok_2025(calendar):
    assert lunar.lunar_occurrence(8, 15, 2025, calendar=calendar) == date(2025, 10, 6)


def test_seollal_2027_differs_between_korea_and_china():
    assert lunar.lunar_occurrence(1, 1, 2027, calendar="korean") == date(2027, 2, 7)
    assert lunar.lunar_occurrence(1, 1, 2027, calendar="chinese") == date(2027, 2, 6)


@settings(max_examples=60, deadline=None)
@given(day=LUNAR_DAYS, calendar=st.sampled_from(lunar.CALENDARS))
def test_lunar_round_trip(day, calendar):
    year, month, dd, leap = lunar.to_lunar(day, calendar)
    assert lunar.lunar_occurrence(month, dd, year, leap=leap, calendar=calendar) == day
    assert f"{month:02d}-{dd:02d}" in lunar.LunarWindow(day, day, calendar).month_days()


@pytest.mark.parametrize("calendar", lunar.CALENDARS)
def test_day_30_in_a_29_day_month_falls_on_day_29(calendar):
    # The 8th lunar month of 2025 has 29 days.
    assert lunar._to_solar(2025, 8, 30, False, calendar) is None
    assert lunar.lunar_occurrence(8, 30, 2025, calendar=calendar) == lunar.lunar_occurrence(
        8, 29, 2025, calendar=calendar
    )
    day = date(2025, 10, 20)
    assert "08-30" in lunar.LunarWindow(day, day, calendar).month_days()


@pytest.mark.parametrize("calendar", lunar.CALENDARS)
def test_leap_month_dates(calendar):
    # 2025 has a leap 6th month; 2026 has none.
    leap_day = lunar.lunar_occurrence(6, 1, 2025, leap=True, calendar=calendar)
    plain_day = lunar.lunar_occurrence(6, 1, 2025, calendar=calendar)
    assert leap_day == date(2025, 7, 25) and plain_day == date(2025, 6, 25)
    assert lunar.lunar_occurrence(6, 1, 2026, leap=True, calendar=calendar) == (
        lunar.lunar_occurrence(6, 1, 2026, calendar=calendar)
    )


def test_calendar_follows_the_customer_language():
    assert lunar.calendar_for("zh", "korean") == "chinese"
    assert lunar.calendar_for("ko", "chinese") == "korean"
    assert lunar.calendar_for(None, "korean") == "korean"


def lunar_occurrences(
    month: int,
    day: int,
    start: date,
    end: date,
    *,
    leap: bool = False,
    calendar: lunar.Calendar = "korean",
) -> list[date]:
    """Every occurrence of a yearly lunar date between `start` and `end`, both included,
    converting each year on its own: the slow, plain answer `LunarWindow` must agree with."""
    first = lunar.to_lunar(start, calendar)[0]
    last = lunar.to_lunar(end, calendar)[0]
    found = []
    for year in range(first, last + 1):
        d = lunar.lunar_occurrence(month, day, year, leap=leap, calendar=calendar)
        if d is not None and start <= d <= end:
            found.append(d)
    return found


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=date(1901, 1, 1), max_value=date(2098, 12, 1)),
    length=st.integers(min_value=0, max_value=40),
    month=st.integers(min_value=1, max_value=12),
    day=st.sampled_from([1, 15, 29, 30]),
    leap=st.booleans(),
    calendar=st.sampled_from(lunar.CALENDARS),
)
def test_lunar_window_agrees_with_exact_conversion(start, length, month, day, leap, calendar):
    end = start + timedelta(days=length)
    window = lunar.LunarWindow(start, end, calendar)
    exact = lunar_occurrences(month, day, start, end, leap=leap, calendar=calendar)
    assert window.occurrences(month, day, leap=leap) == exact
    if exact:
        assert f"{month:02d}-{day:02d}" in window.month_days()
