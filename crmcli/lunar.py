"""Lunar dates: solar days to Korean and Chinese lunar dates and back, and their yearly rules.

Korean dates are converted with korean-lunar-calendar (the Korean astronomical
calendar, KST), Chinese ones with lunardate (Beijing time); the two disagree on some
new moons (Seollal 2027 is 7 February, the Spring Festival 6 February). Rules for
lunar dates that a year lacks:

- day 30 in a month that has 29 days this year falls on day 29, the month's last day;
- a date in a leap month falls in that leap month when the year has it, else in the
  ordinary month of the same number; a date in an ordinary month never moves to a leap
  month.

korean-lunar-calendar covers solar years to 2050; later years use the Chinese tables.
Solar yearly dates (29 February) are in yearly.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

Calendar = Literal["korean", "chinese"]
CALENDARS: tuple[Calendar, ...] = ("korean", "chinese")


# korean-lunar-calendar stops at solar 2050-12-31; past it the Chinese tables serve
# (the two calendars differ by a day at a few new moons only).
LUNAR_FIRST_DAY = date(1900, 1, 31)  # lunar new year 1900: lunardate's tables start there
KOREAN_LAST_YEAR = 2049  # the last lunar year it holds whole


Lunar = tuple[int, int, int, bool]  # (lunar year, month, day, is leap month)


@lru_cache(maxsize=1)
def _korean() -> Any:
    # One instance: building one costs milliseconds (it sums days from the year 1000).
    from korean_lunar_calendar import KoreanLunarCalendar

    return KoreanLunarCalendar()


# Pure functions of their arguments, and each `due` run converts the same few days
# again and again (the window's ends for every lunar birthday): cache them.
@lru_cache(maxsize=65536)
def to_lunar(day: date, calendar: Calendar) -> Lunar:
    """(lunar year, month, day, is leap month) of a solar day."""
    if calendar == "korean" and day.year <= KOREAN_LAST_YEAR + 1:
        cal = _korean()
        if not cal.setSolarDate(day.year, day.month, day.day):
            raise ValueError(f"{day} is outside the Korean lunar calendar's range")
        # Lunar year 2050 runs past the library's end, so `_to_solar` takes it from the
        # Chinese tables: read its days from them too, or a date would not come back.
        if cal.lunarYear <= KOREAN_LAST_YEAR:
            return cal.lunarYear, cal.lunarMonth, cal.lunarDay, bool(cal.isIntercalation)
    from lunardate import LunarDate

    if day < LUNAR_FIRST_DAY:
        raise ValueError(f"{day} is before the lunar tables begin ({LUNAR_FIRST_DAY})")
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.year, lunar.month, lunar.day, bool(lunar.is_leap_month)


@lru_cache(maxsize=65536)
def _to_solar(year: int, month: int, day: int, leap: bool, calendar: Calendar) -> date | None:
    """The solar day of an exact lunar date, or None when the year has no such date."""
    if calendar == "korean" and year <= KOREAN_LAST_YEAR:
        cal = _korean()
        if not cal.setLunarDate(year, month, day, leap):
            return None
        found = date.fromisoformat(cal.SolarIsoFormat())
        # The library accepts a leap flag for a month that has no leap month; check back.
        if to_lunar(found, calendar) != (year, month, day, leap):
            return None
        return found
    from lunardate import LunarDate

    try:
        return LunarDate(year, month, day, leap).to_solar_date()
    except ValueError:
        return None


def lunar_occurrence(
    month: int, day: int, lunar_year: int, *, leap: bool = False, calendar: Calendar = "korean"
) -> date | None:
    """The solar day a yearly lunar date falls on in `lunar_year` (rules in the module doc)."""
    for want_leap in (True, False) if leap else (False,):
        for d in (day, 29) if day == 30 else (day,):
            found = _to_solar(lunar_year, month, d, want_leap, calendar)
            if found is not None:
                return found
    return None


class LunarWindow:
    """The lunar dates of a run of solar days, for matching many yearly lunar dates at once.

    Converting is slow (korean-lunar-calendar takes milliseconds a day), so the library
    is asked about the first day only and about each day after a 29th; the days between
    follow by counting.
    """

    def __init__(self, start: date, end: date, calendar: Calendar) -> None:
        self.calendar = calendar
        self.days: dict[date, Lunar] = {}
        day, lunar = start, to_lunar(start, calendar)
        while True:
            self.days[day] = lunar
            if day > end:  # one day past the end: tells whether a 29th is the month's last
                break
            day += timedelta(days=1)
            y, m, d, leap = lunar
            lunar = (y, m, d + 1, leap) if d < 29 else to_lunar(day, calendar)
        self.end = end
        self._thirtieth = {(y, m, leap) for y, m, d, leap in self.days.values() if d == 30}

    def month_days(self) -> set[str]:
        """Stored month-days ('MM-DD') that may fall in the window (30 for each 29th)."""
        out = set()
        for day, (_, m, d, _) in self.days.items():
            if day <= self.end:
                out.add(f"{m:02d}-{d:02d}")
                if d == 29:
                    out.add(f"{m:02d}-30")
        return out

    def occurrences(self, month: int, day: int, *, leap: bool = False) -> list[date]:
        """The window's days on which a yearly lunar date falls (rules in the module doc)."""
        found = []
        for solar, (y, m, d, is_leap) in self.days.items():
            if solar > self.end or m != month:
                continue
            want = day if day < 30 or (y, m, is_leap) in self._thirtieth else 29
            if d != want or (is_leap and not leap):
                continue
            if leap and not is_leap and self._has_leap_month(y, month):
                continue
            found.append(solar)
        return found

    def _has_leap_month(self, year: int, month: int) -> bool:
        return _to_solar(year, month, 1, True, self.calendar) is not None


def calendar_for(locale: str | None, default: Calendar) -> Calendar:
    """Which lunar calendar a customer keeps: Chinese for zh, else the shop's default."""
    if locale and locale.split("_")[0] == "zh":
        return "chinese"
    if locale and locale.split("_")[0] == "ko":
        return "korean"
    return default
