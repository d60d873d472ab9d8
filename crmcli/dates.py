"""Dates at the edge: parse what people write, store ISO-8601, compute with relativedelta.

A date without a year (a birthday someone would not give the year of) is stored as
`--MM-DD`, the ISO 8601 / vCard 4.0 form. Dates that come back every year are in
yearly.py (29 February) and lunar.py (Korean and Chinese lunar dates, converted both ways).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from dateutil.relativedelta import relativedelta

from crmcli.errors import InvalidValue
from crmcli.i18n import M_

DateOrder = Literal["YMD", "DMY", "MDY"]
DATE_ORDERS: tuple[DateOrder, ...] = ("YMD", "DMY", "MDY")

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")  # 19800322
_YEAR_FIRST = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日.]?")
_THREE_PARTS = re.compile(r"(\d{1,4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,4})")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")  # --0203, --02-03
_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SPAN = re.compile(r"(\d+)\s*([dwmy])", re.IGNORECASE)

# The range of every date crmcli takes, stores or computes: a customer born in 1900, a
# follow-up promised into the 2200s. Anything outside is a typo (0001-01-01, 9999-12-31,
# --in 9000y) and is refused where it is typed, so no later sum of a date and a span
# can fall off Python's calendar (years 1-9999) in the middle of a command.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
# The longest span (--in, --for, a tier window, a setting): the whole range above.
MAX_SPAN_DAYS = (LAST_DAY - FIRST_DAY).days
# The most days one agenda run (`due --days`, `greet --days`, `export ics --days`) covers.
MAX_AGENDA_DAYS = 3660
_SPAN_UNIT_DAYS = {"d": 1, "w": 7, "m": 31, "y": 366}  # the longest each unit can be


class AmbiguousDate(InvalidValue):
    """A date such as 03/01/19 that reads differently by day-first or month-first."""


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        made = date(year, month, day)
    except ValueError:
        raise InvalidValue(M_("{text!r} is not a real date").format(text=text)) from None
    return in_range(made, what="date")


def in_range(day: date, *, what: str = "date") -> date:
    """`day` itself, or InvalidValue when it lies outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue(
            M_("{what} {day} is outside the dates crmcli handles, {first} to {last}").format(
                what=what, day=day, first=FIRST_DAY, last=LAST_DAY
            )
        )
    return day


def _full_year(year: int) -> int:
    # Two-digit years: 00-69 are 2000s, 70-99 are 1900s (POSIX strptime's pivot).
    if year >= 100:
        return year
    return 2000 + year if year < 70 else 1900 + year


def possible_orders(text: str) -> set[DateOrder]:
    """Which of YMD/DMY/MDY could read `text` as a real date (for a column's inference)."""
    text = text.strip()
    if _ISO.fullmatch(text) or _COMPACT.fullmatch(text) or _YEAR_FIRST.fullmatch(text):
        return {"YMD"}
    m = _THREE_PARTS.fullmatch(text)
    if not m:
        return set()
    a, b, c = (int(g) for g in m.groups())
    out: set[DateOrder] = set()
    for order, (y, mo, d) in {
        "YMD": (a, b, c),
        "DMY": (c, b, a),
        "MDY": (c, a, b),
    }.items():
        if order == "YMD" and len(m.group(1)) < 4 and len(m.group(3)) == 4:
            continue
        if order != "YMD" and len(m.group(1)) == 4:
            continue
        try:
            date(_full_year(y), mo, d)
        except ValueError:
            continue
        out.add(order)  # type: ignore[arg-type]
    return out


def parse_date(text: str, *, order: DateOrder | None = None) -> date:
    """Parse a full date: ISO first, then the forms shops use; refuse to guess."""
    text = text.strip()
    m = _ISO.fullmatch(text)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), text)
    m = _COMPACT.fullmatch(text) or _YEAR_FIRST.fullmatch(text)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), text)
    m = _THREE_PARTS.fullmatch(text)
    if m:
        a, b, c = (int(g) for g in m.groups())
        candidates = possible_orders(text)
        if order is None:
            if len(candidates) > 1:
                raise AmbiguousDate(
                    M_(
                        "{text!r} is ambiguous (day-first or month-first?); "
                        "give --date-order DMY, MDY or YMD"
                    ).format(text=text)
                )
            if not candidates:
                raise InvalidValue(M_("{text!r} is not a real date").format(text=text))
            order = next(iter(candidates))
        assert order is not None
        y, mo, d = {"YMD": (a, b, c), "DMY": (c, b, a), "MDY": (c, a, b)}[order]
        return _make(_full_year(y), mo, d, text)
    return _parse_words(text, order)


def _parse_words(text: str, order: DateOrder | None) -> date:
    """Dates with month names ('23 Dec 1967', 'December 23, 1967'), via dateutil."""
    from dateutil import parser

    if not re.search(r"[A-Za-z]", text) or not re.search(r"\d", text):
        raise InvalidValue(M_("{text!r} is not a date").format(text=text))
    try:
        parsed = parser.parse(
            text,
            dayfirst=order == "DMY",
            yearfirst=order == "YMD",
            default=datetime(1, 1, 1),
        )
    except (ValueError, OverflowError):
        raise InvalidValue(M_("{text!r} is not a date").format(text=text)) from None
    if parsed.year == 1:
        raise InvalidValue(M_("{text!r} has no year").format(text=text))
    return in_range(parsed.date(), what="date")


def parse_day(text: str, *, order: DateOrder | None = None) -> str:
    """A birthday or anniversary: `YYYY-MM-DD`, or `--MM-DD` when no year is given."""
    text = text.strip()
    m = _ISO.fullmatch(text)
    if m:  # the stored form, and files' commonest: what parse_date makes of it, at once
        return _make(int(m[1]), int(m[2]), int(m[3]), text).isoformat()
    m = _NO_YEAR.fullmatch(text)
    if m is None and not re.search(r"\d{3,4}", text):
        m = _MONTH_DAY.fullmatch(text)  # 02-03, 2月3日: month first, as ISO writes it
        if m is not None and order == "DMY" and "月" not in text:
            m = re.match(r"(?P<d>\d+)\D+(?P<m>\d+)", text)
            assert m is not None
            month, day = int(m["m"]), int(m["d"])
            return _month_day(month, day, text)
    if m:
        return _month_day(int(m[1]), int(m[2]), text)
    return parse_date(text, order=order).isoformat()


def _month_day(month: int, day: int, text: str) -> str:
    _make(2000, month, day, text)  # a leap year, so --02-29 is accepted
    return f"--{month:02d}-{day:02d}"


def month_day(day: str) -> tuple[int, int]:
    """(month, day) of a stored `YYYY-MM-DD` or `--MM-DD`."""
    return int(day[-5:-3]), int(day[-2:])


def year_of(day: str) -> int | None:
    return None if day.startswith("--") else int(day[:4])


def parse_span(text: str, *, what: str = "span") -> relativedelta:
    """'3d', '2w', '6m', '1y' (or several: '1y6m') as a relativedelta, at most MAX_SPAN_DAYS."""
    text = text.strip()
    parts = _SPAN.findall(text)
    if not parts or _SPAN.sub("", text).strip():
        raise InvalidValue(
            M_("{text} is not a span of time; write e.g. 3d, 2w, 6m or 1y").format(text=shown(text))
        )
    # Length first: int() of a thousand digits is slow, of 4,301 an error.
    if any(len(amount.lstrip("0")) > 6 for amount, _ in parts):
        raise _too_long(text, what)
    delta = relativedelta()
    longest = 0
    for amount, unit in parts:
        n = int(amount)
        longest += n * _SPAN_UNIT_DAYS[unit.lower()]
        delta += {
            "d": relativedelta(days=n),
            "w": relativedelta(weeks=n),
            "m": relativedelta(months=n),
            "y": relativedelta(years=n),
        }[unit.lower()]
    if longest > MAX_SPAN_DAYS:
        raise _too_long(text, what)
    return delta


def _too_long(text: str, what: str) -> InvalidValue:
    years = MAX_SPAN_DAYS // 366
    return InvalidValue(
        M_("{what} {text} is too long: at most {years} years").format(
            what=what, text=shown(text), years=years
        )
    )


def shown(text: str, limit: int = 40) -> str:
    """`text` quoted for an error message, cut short: a pasted megabyte is not echoed."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def span_days(delta: relativedelta) -> int:
    """The most days `delta` can last (a month as 31 days, a year as 366): for bounds."""
    return delta.days + 31 * delta.months + 366 * delta.years  # weeks are in .days


def shift(day: date, delta: relativedelta | timedelta, *, what: str) -> date:
    """`day + delta`, refused (not a traceback) when it leaves FIRST_DAY..LAST_DAY."""
    try:
        moved = day + delta
    except (OverflowError, ValueError):
        moved = date.max if _forward(delta) else date.min
    if not FIRST_DAY <= moved <= LAST_DAY:
        raise InvalidValue(
            M_("{what} from {day} goes past the dates crmcli handles, {first} to {last}").format(
                what=what, day=day, first=FIRST_DAY, last=LAST_DAY
            )
        )
    return moved


def _forward(delta: relativedelta | timedelta) -> bool:
    if isinstance(delta, timedelta):
        return delta >= timedelta(0)
    return (delta.years, delta.months, delta.days) >= (0, 0, 0)


def agenda_end(start: date, days: int, *, what: str = "--days") -> date:
    """The last day of an agenda run of `days` days from `start` (1 = `start` only)."""
    if not 1 <= days <= MAX_AGENDA_DAYS:
        raise InvalidValue(
            M_("{what} must be from 1 to {most} (ten years), not {days}").format(
                what=what, most=MAX_AGENDA_DAYS, days=days
            )
        )
    return shift(start, timedelta(days=days - 1), what=f"{what} {days}")


def iso_date(text: str, *, what: str = "date") -> date:
    """A command-line date: ISO `YYYY-MM-DD` only, as the interface promises."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        if _ISO.fullmatch(text.strip()):  # the shape is right, the day does not exist
            unreal = M_("{text!r} is not a real date").format(text=text)
            raise InvalidValue(f"{what}: {unreal}") from None  # said as `where: message`
        raise InvalidValue(
            M_("{what} must be YYYY-MM-DD, not {text!r}").format(what=what, text=text)
        ) from None
    return in_range(day, what=what)


def now_utc() -> str:
    """A timestamp for created/updated columns: UTC, ISO-8601, seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def today(tz_name: str = "") -> date:
    """Today in the configured time zone (the system's when empty)."""
    if not tz_name:
        return date.today()
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz_name)).date()
