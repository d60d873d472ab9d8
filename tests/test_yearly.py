"""Yearly dates on the solar calendar: 29 February over 1900–2099."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import yearly

DAYS_1900_2099 = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
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
