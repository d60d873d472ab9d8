"""A customer's preferred contact window: which weekdays, and which hours."""

from __future__ import annotations

import re
from datetime import date, timedelta

from crmcli.errors import InvalidValue
from crmcli.i18n import M_

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(r"(\d{1,2}):?(\d{2})?\s*-\s*(\d{1,2}):?(\d{2})?")


def parse_days(text: str) -> str:
    """'mon-fri', 'sat,sun', '1-5', 'weekdays' → ISO weekday digits such as '12345'."""
    text = text.strip().lower()
    aliases = {"weekdays": "mon-fri", "weekends": "sat-sun", "weekend": "sat-sun", "any": "mon-sun"}
    text = aliases.get(text, text)
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        bounds = [b.strip() for b in part.split("-")]
        if len(bounds) > 2:
            raise InvalidValue(
                M_("{value} is not a day or a range of days").format(value=repr(part))
            )
        nums = [_day_number(b) for b in bounds]
        if len(nums) == 1:
            days.add(nums[0])
        else:
            d = nums[0]
            while True:  # ranges may wrap: fri-mon
                days.add(d)
                if d == nums[1]:
                    break
                d = d % 7 + 1
    if not days:
        raise InvalidValue(M_("give at least one day, e.g. mon-fri"))
    return "".join(str(d) for d in sorted(days))


def _day_number(text: str) -> int:
    if text.isdecimal() and 1 <= int(text) <= 7:  # isdigit would take '²', int() not
        return int(text)
    for i, name in enumerate(DAY_NAMES, start=1):
        if text[:3] == name:
            return i
    raise InvalidValue(M_("{value} is not a weekday (mon…sun or 1…7)").format(value=repr(text)))


def parse_hours(text: str) -> tuple[str, str]:
    """'09:00-18:00', '9-18' → ('09:00', '18:00')."""
    m = _HOURS.fullmatch(text.strip())
    if not m:
        raise InvalidValue(
            M_("{value} is not a range of hours; write e.g. 09:00-18:00").format(value=repr(text))
        )
    h1, m1, h2, m2 = int(m[1]), int(m[2] or 0), int(m[3]), int(m[4] or 0)
    # 24:00 closes a day; 24:30 is no time at all.
    if not all((h < 24 and m < 60) or (h, m) == (24, 0) for h, m in ((h1, m1), (h2, m2))):
        raise InvalidValue(M_("{value} is not a range of hours").format(value=repr(text)))
    return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"


def describe(days: str | None, start: str | None, end: str | None) -> str:
    """'mon-fri 09:00-18:00', for people."""
    parts = []
    if days:
        parts.append(",".join(DAY_NAMES[int(d) - 1] for d in days))
    if start and end:
        parts.append(f"{start}-{end}")
    return " ".join(parts)


def next_allowed_day(day: date, days: str | None) -> date:
    """`day` itself when allowed, else the next day the customer takes calls."""
    if not days:
        return day
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if str(candidate.isoweekday()) in days:
            return candidate
    return day
