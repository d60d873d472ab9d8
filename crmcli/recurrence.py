"""A recurrence rule (RFC 5545 RRULE) in words, for a person: `monthly, on the last day`.

dateutil parses rules but cannot say them. This renders the parts crmcli makes
(`--every 2w`, a month-end `BYMONTHDAY=31,-1;BYSETPOS=1`) and the common ones a
user types (weekdays, "the second Tuesday", COUNT, UNTIL). A rule holding any part
it does not know is returned as it is: a rule shown as written is honest, words
that leave a part out are not.
"""

from __future__ import annotations

import re

_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_ADVERBS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}
_DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_KNOWN = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL"}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _from_end(n: int, what: str) -> str:
    """-1 → 'the last day', -2 → 'the second-to-last day'."""
    if n == -1:
        return f"the last {what}"
    return f"the {_NTH.get(-n, ordinal(-n))}-to-last {what}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _month_day(n: int) -> str:
    return f"the {ordinal(n)}" if n > 0 else _from_end(n, "day")


def _weekday(spec: str) -> str | None:
    m = _BYDAY.fullmatch(spec)
    if not m:
        return None
    day = _DAYS[m[2]]
    if not m[1]:
        return day
    n = int(m[1])
    if n > 0:
        return f"the {_NTH.get(n, ordinal(n))} {day}"
    return _from_end(n, day)


def describe(rule: str) -> str:
    """The rule in words, or the rule itself when some part of it has no words here."""
    try:
        parts = dict(p.split("=", 1) for p in rule.upper().removeprefix("RRULE:").split(";") if p)
    except ValueError:
        return rule
    freq = parts.get("FREQ")
    if freq not in _UNITS or set(parts) - _KNOWN:
        return rule
    try:
        interval = int(parts.get("INTERVAL", "1"))
        month_days = (
            [int(d) for d in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else []
        )
        months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
        setpos = int(parts["BYSETPOS"]) if "BYSETPOS" in parts else None
    except ValueError:
        return rule
    if interval < 1 or any(not 1 <= m <= 12 for m in months):
        return rule
    words = _ADVERBS[freq] if interval == 1 else f"every {interval} {_UNITS[freq]}s"
    on: str | None = None
    if month_days:
        if setpos is not None:
            # crmcli's month-end rule: the day, or the last day when the month is shorter.
            if setpos != 1 or len(month_days) != 2 or month_days[1] != -1 or month_days[0] < 1:
                return rule
            day = month_days[0]
            if freq == "YEARLY" and len(months) == 1:
                month = _MONTHS[months[0] - 1]
                longest = 29 if months[0] == 2 else 30 if months[0] in (4, 6, 9, 11) else 31
                on = (
                    f"the last day of {month}"
                    if day >= longest
                    else f"{month} {day} (the last day of {month} in shorter years)"
                )
                months = []
            else:
                on = (
                    "the last day"
                    if day >= 31
                    else f"the {ordinal(day)} (the last day in shorter months)"
                )
        else:
            on = _and([_month_day(d) for d in month_days])
    elif setpos is not None:
        return rule
    if "BYDAY" in parts:
        days = [_weekday(d) for d in parts["BYDAY"].split(",")]
        if any(d is None for d in days):
            return rule
        if on:
            return rule  # "the 13th that is a Friday": rare enough to show as written
        on = _and([d for d in days if d])
    if months:
        month_names = _and([_MONTHS[m - 1] for m in months])
        words += f", on {on} of {month_names}" if on else f", in {month_names}"
    elif on:
        words += f", on {on}"
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit():
            return rule
        words += f", {parts['COUNT']} times"
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        if not until.isdigit() or len(until) != 8:
            return rule
        words += f", until {until[:4]}-{until[4:6]}-{until[6:8]}"
    return words
