"""Dates that come back every year, on the solar calendar: birthdays, anniversaries, 29 February.

A 29 February date falls on 28 February (or 1 March, setting `birthday.feb29`) in
common years. Dates kept on a lunar calendar are converted in lunar.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def solar_occurrence(month: int, day: int, year: int, *, feb29: str = "feb28") -> date:
    """The day a yearly (month, day) falls on in `year`."""
    if month == 2 and day == 29 and not is_leap(year):
        return date(year, 3, 1) if feb29 == "mar1" else date(year, 2, 28)
    return date(year, month, day)


def month_days_on(day: date, *, feb29: str = "feb28") -> list[str]:
    """The stored month-days ('MM-DD') whose yearly occurrence is `day`."""
    out = [f"{day.month:02d}-{day.day:02d}"]
    stand_in = (3, 1) if feb29 == "mar1" else (2, 28)
    if not is_leap(day.year) and (day.month, day.day) == stand_in:
        out.append("02-29")
    return out


def days(start: date, end: date) -> Iterator[date]:
    """Every day from `start` to `end`, both included."""
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def solar_occurrences(
    month: int, day: int, start: date, end: date, *, feb29: str = "feb28"
) -> list[date]:
    """Every occurrence of a yearly (month, day) between `start` and `end`, both included."""
    found = []
    for year in range(start.year, end.year + 1):
        d = solar_occurrence(month, day, year, feb29=feb29)
        if start <= d <= end:
            found.append(d)
    return found
