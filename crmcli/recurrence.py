"""A recurrence rule (RFC 5545 RRULE) in words, for a person: `monthly, on the last day`.

dateutil parses rules but cannot say them. This renders the parts crmcli makes
(`--every 2w`, a month-end `BYMONTHDAY=31,-1;BYSETPOS=1`) and the common ones a
user types (weekdays, "the second Tuesday", COUNT, UNTIL). A rule holding any part
it does not know is returned as it is: a rule shown as written is honest, words
that leave a part out are not.

Every phrase is a catalog message (weekday and month names, "every {n} weeks" with
its plural forms, an ordinal with its English suffix, the joiners), so the same rule
reads whole in each language: `describe(rule)` is the core's English (CSV, the
agenda's `why`), remembered so that a terminal says it in the user's language
(`i18n.translate`); `describe(rule, translated=True)` says it so directly.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

from crmcli.i18n import N_, said_by, translations

if TYPE_CHECKING:
    from collections.abc import Mapping

    from crmcli.i18n import Translations

_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_DAYS = {
    "MO": N_("Monday"),
    "TU": N_("Tuesday"),
    "WE": N_("Wednesday"),
    "TH": N_("Thursday"),
    "FR": N_("Friday"),
    "SA": N_("Saturday"),
    "SU": N_("Sunday"),
}
_MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip
# An ordinal's words, one whole message each: a language puts its own ordinal around
# the number or the weekday (`둘째 화요일`, `第2火曜日`, `երկրորդ երեքշաբթի`). Past the
# fifth the number is written, its English suffix choosing the message (`the 21st`).
_DAY_OF_MONTH: dict[int | str, str] = {
    "st": N_("the {n}st"),
    "nd": N_("the {n}nd"),
    "rd": N_("the {n}rd"),
    "th": N_("the {n}th"),
}
_DAY_FROM_END: dict[int | str, str] = {
    -1: N_("the last day"),
    -2: N_("the second-to-last day"),
    -3: N_("the third-to-last day"),
    -4: N_("the fourth-to-last day"),
    -5: N_("the fifth-to-last day"),
    "st": N_("the {n}st-to-last day"),
    "nd": N_("the {n}nd-to-last day"),
    "rd": N_("the {n}rd-to-last day"),
    "th": N_("the {n}th-to-last day"),
}
_WEEKDAY: dict[int | str, str] = {
    1: N_("the first {day}"),
    2: N_("the second {day}"),
    3: N_("the third {day}"),
    4: N_("the fourth {day}"),
    5: N_("the fifth {day}"),
    "st": N_("the {n}st {day}"),
    "nd": N_("the {n}nd {day}"),
    "rd": N_("the {n}rd {day}"),
    "th": N_("the {n}th {day}"),
}
_WEEKDAY_FROM_END: dict[int | str, str] = {
    -1: N_("the last {day}"),
    -2: N_("the second-to-last {day}"),
    -3: N_("the third-to-last {day}"),
    -4: N_("the fourth-to-last {day}"),
    -5: N_("the fifth-to-last {day}"),
    "st": N_("the {n}st-to-last {day}"),
    "nd": N_("the {n}nd-to-last {day}"),
    "rd": N_("the {n}rd-to-last {day}"),
    "th": N_("the {n}th-to-last {day}"),
}
_KNOWN = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL"}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")


def _suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    return f"{n}{_suffix(n)}"


def _nth(t: Translations, messages: Mapping[int | str, str], n: int, **values: str) -> str:
    """The ordinal message for `n` (its own words up to the fifth, else its suffix's)."""
    template = messages.get(n) or messages[_suffix(abs(n))]
    return t.gettext(template).format(n=abs(n), **values)


def _and(t: Translations, items: list[str]) -> str:
    """`a, b and c` in the language's joiners."""
    said = items[0]
    for item in items[1:-1]:
        said = t.gettext("{items}, {item}").format(items=said, item=item)
    if len(items) > 1:
        said = t.gettext("{items} and {last}").format(items=said, last=items[-1])
    return said


def _every(t: Translations, freq: str, n: int) -> str:
    # Four messages each, not a unit slotted in: a language's word for "every" agrees
    # with its unit (`매일`, `매주`, `2주마다`).
    if freq == "DAILY":
        if n == 1:
            return t.gettext("daily")
        return t.ngettext("every {n} day", "every {n} days", n).format(n=n)
    if freq == "WEEKLY":
        if n == 1:
            return t.gettext("weekly")
        return t.ngettext("every {n} week", "every {n} weeks", n).format(n=n)
    if freq == "MONTHLY":
        if n == 1:
            return t.gettext("monthly")
        return t.ngettext("every {n} month", "every {n} months", n).format(n=n)
    if n == 1:
        return t.gettext("yearly")
    return t.ngettext("every {n} year", "every {n} years", n).format(n=n)


def _month_day(t: Translations, n: int) -> str:
    return _nth(t, _DAY_OF_MONTH if n > 0 else _DAY_FROM_END, n)


def _weekday(t: Translations, spec: str) -> str | None:
    m = _BYDAY.fullmatch(spec)
    if not m:
        return None
    day = t.gettext(_DAYS[m[2]])
    if not m[1]:
        return day
    n = int(m[1])
    return _nth(t, _WEEKDAY if n > 0 else _WEEKDAY_FROM_END, n, day=day)


def describe(rule: str, *, translated: bool = False) -> str:
    """The rule in words, or the rule itself when some part of it has no words here.

    English unless `translated`; the English words are remembered, so a screen that
    shows them (the agenda's why on a terminal) says them in the user's language.
    """
    if translated:
        return _words(rule, translations())
    words = _words(rule, translations(english=True))
    if words != rule:
        said_by(words, partial(describe, rule, translated=True))
    return words


def _words(rule: str, t: Translations) -> str:
    try:
        parts = dict(p.split("=", 1) for p in rule.upper().removeprefix("RRULE:").split(";") if p)
    except ValueError:
        return rule
    freq = parts.get("FREQ")
    if freq not in _FREQUENCIES or set(parts) - _KNOWN:
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
    every = _every(t, freq, interval)
    on: str | None = None
    if month_days:
        if setpos is not None:
            # crmcli's month-end rule: the day, or the last day when the month is shorter.
            if setpos != 1 or len(month_days) != 2 or month_days[1] != -1 or month_days[0] < 1:
                return rule
            day = month_days[0]
            if freq == "YEARLY" and len(months) == 1:
                month = t.gettext(_MONTHS[months[0] - 1])
                longest = 29 if months[0] == 2 else 30 if months[0] in (4, 6, 9, 11) else 31
                on = (
                    t.gettext("the last day of {month}").format(month=month)
                    if day >= longest
                    else t.gettext(
                        "{month} {day} (the last day of {month} in shorter years)"
                    ).format(month=month, day=day)
                )
                months = []
            else:
                on = (
                    t.gettext(_DAY_FROM_END[-1])
                    if day >= 31
                    else t.gettext("{day} (the last day in shorter months)").format(
                        day=_month_day(t, day)
                    )
                )
        else:
            on = _and(t, [_month_day(t, d) for d in month_days])
    elif setpos is not None:
        return rule
    if "BYDAY" in parts:
        days = [_weekday(t, d) for d in parts["BYDAY"].split(",")]
        if any(d is None for d in days):
            return rule
        if on:
            return rule  # "the 13th that is a Friday": rare enough to show as written
        on = _and(t, [d for d in days if d])
    if months:
        month_names = _and(t, [t.gettext(_MONTHS[m - 1]) for m in months])
        words = (
            t.gettext("{every}, on {on} of {months}").format(every=every, on=on, months=month_names)
            if on
            else t.gettext("{every}, in {months}").format(every=every, months=month_names)
        )
    elif on:
        words = t.gettext("{every}, on {on}").format(every=every, on=on)
    else:
        words = every
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit():
            return rule
        count = int(parts["COUNT"])
        words = t.ngettext("{rule}, {n} time", "{rule}, {n} times", count).format(
            rule=words, n=count
        )
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        if not until.isdigit() or len(until) != 8:
            return rule
        day = f"{until[:4]}-{until[4:6]}-{until[6:8]}"
        words = t.gettext("{rule}, until {day}").format(rule=words, day=day)
    return words
