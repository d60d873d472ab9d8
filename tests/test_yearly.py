"""Yearly dates: 29 February over 1900–2099, and lunar conversions (Korean and Chinese)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli import yearly

DAYS_1900_2099 = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
# The lunar tables start at lunar new year 1900 (31 January 1900).
LUNAR_DAYS = st.dates(min_value=date(1900, 1, 31), max_value=date(2099, 12, 31))
MONTH_DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31)).map(
    lambda d: (d.month, d.day)
)  # 2000 is a leap year: every month-day, 29 February included
RULES = st.sampled_from(["feb28", "mar1"])


@given(day=DAYS_1900_2099, md=MONTH_DAYS, rule=RULES)
def test_month_days_on_agrees_with_the_occurrence(day, md, rule):
    month, dd = md
    stored = f"{month:02d}-{dd:02d}"
    occurs = yearly.solar_occurrence(month, dd, day.year, feb29=rule) == day
    assert (stored in yearly.month_days_on(day, feb29=rule)) is occurs


@pytest.mark.parametrize("rule", ["feb28", "mar1"])
def test_every_month_day_falls_exactly_once_a_year(rule):
    for year in range(1900, 2100):
        seen: dict[str, int] = {}
        day = date(year, 1, 1)
        while day.year == year:
            for md in yearly.month_days_on(day, feb29=rule):
                seen[md] = seen.get(md, 0) + 1
            day += timedelta(days=1)
        assert len(seen) == 366 and set(seen.values()) == {1}, year


def test_29_february_in_common_and_leap_years():
    assert yearly.solar_occurrence(2, 29, 1900) == date(1900, 2, 28)  # 1900 is not leap
    assert yearly.solar_occurrence(2, 29, 2000) == date(2000, 2, 29)
    assert yearly.solar_occurrence(2, 29, 2027, feb29="mar1") == date(2027, 3, 1)
    assert yearly.solar_occurrences(2, 29, date(2027, 1, 1), date(2028, 12, 31)) == [
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_lunar_year_2050_round_trips_in_korea():
    # found by the property test below: Korean tables read the day, Chinese wrote it back
    day = date(2050, 3, 1)
    year, month, dd, leap = yearly.to_lunar(day, "korean")
    assert yearly.lunar_occurrence(month, dd, year, leap=leap, calendar="korean") == day


@pytest.mark.parametrize("calendar", yearly.CALENDARS)
def test_chuseok_2025(calendar):
    assert yearly.lunar_occurrence(8, 15, 2025, calendar=calendar) == date(2025, 10, 6)


def test_seollal_2027_differs_between_korea_and_china():
    assert yearly.lunar_occurrence(1, 1, 2027, calendar="korean") == date(2027, 2, 7)
    assert yearly.lunar_occurrence(1, 1, 2027, calendar="chinese") == date(2027, 2, 6)


@settings(max_examples=60, deadline=None)
@given(day=LUNAR_DAYS, calendar=st.sampled_from(yearly.CALENDARS))
def test_lunar_round_trip(day, calendar):
    year, month, dd, leap = yearly.to_lunar(day, calendar)
    assert yearly.lunar_occurrence(month, dd, year, leap=leap, calendar=calendar) == day
    assert f"{month:02d}-{dd:02d}" in yearly.LunarWindow(day, day, calendar).month_days()


@pytest.mark.parametrize("calendar", yearly.CALENDARS)
def test_day_30_in_a_29_day_month_falls_on_day_29(calendar):
    # The 8th lunar month of 2025 has 29 days.
    assert yearly._to_solar(2025, 8, 30, False, calendar) is None
    assert yearly.lunar_occurrence(8, 30, 2025, calendar=calendar) == yearly.lunar_occurrence(
        8, 29, 2025, calendar=calendar
    )
    day = date(2025, 10, 20)
    assert "08-30" in yearly.LunarWindow(day, day, calendar).month_days()


@pytest.mark.parametrize("calendar", yearly.CALENDARS)
def test_leap_month_dates(calendar):
    # 2025 has a leap 6th month; 2026 has none.
    leap_day = yearly.lunar_occurrence(6, 1, 2025, leap=True, calendar=calendar)
    plain_day = yearly.lunar_occurrence(6, 1, 2025, calendar=calendar)
    assert leap_day == date(2025, 7, 25) and plain_day == date(2025, 6, 25)
    assert yearly.lunar_occurrence(6, 1, 2026, leap=True, calendar=calendar) == (
        yearly.lunar_occurrence(6, 1, 2026, calendar=calendar)
    )


def test_calendar_follows_the_customer_language():
    assert yearly.calendar_for("zh", "korean") == "chinese"
    assert yearly.calendar_for("ko", "chinese") == "korean"
    assert yearly.calendar_for(None, "korean") == "korean"


def lunar_occurrences(
    month: int,
    day: int,
    start: date,
    end: date,
    *,
    leap: bool = False,
    calendar: yearly.Calendar = "korean",
) -> list[date]:
    """Every occurrence of a yearly lunar date between `start` and `end`, both included,
    converting each year on its own: the slow, plain answer `LunarWindow` must agree with."""
    first = yearly.to_lunar(start, calendar)[0]
    last = yearly.to_lunar(end, calendar)[0]
    found = []
    for year in range(first, last + 1):
        d = yearly.lunar_occurrence(month, day, year, leap=leap, calendar=calendar)
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
    calendar=st.sampled_from(yearly.CALENDARS),
)
def test_lunar_window_agrees_with_exact_conversion(start, length, month, day, leap, calendar):
    end = start + timedelta(days=length)
    window = yearly.LunarWindow(start, end, calendar)
    exact = lunar_occurrences(month, day, start, end, leap=leap, calendar=calendar)
    assert window.occurrences(month, day, leap=leap) == exact
    if exact:
        assert f"{month:02d}-{day:02d}" in window.month_days()
