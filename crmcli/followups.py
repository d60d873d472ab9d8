"""Promised call-backs ("I'll get back to you"): a follow-up is a promise with a date.

A recurring follow-up (`--every 1m`, or an RFC 5545 RRULE) stays one promise per
occurrence: marking one done closes that row and opens the next occurrence, so the
history of what was done stays.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import dates, text
from crmcli.errors import Conflict, InvalidValue, NotFound
from crmcli.i18n import M_, _

if TYPE_CHECKING:
    from crmcli.engines import Engine

_EVERY = re.compile(r"(\d*)\s*([dwmy])", re.IGNORECASE)
_FREQ = {"d": "DAILY", "w": "WEEKLY", "m": "MONTHLY", "y": "YEARLY"}
# The furthest apart two occurrences may be (days): ten years.
HORIZON = 3660


class Followup(NamedTuple):
    id: int
    customer_id: int
    due_on: str
    note: str
    rrule: str | None
    owner: str | None
    status: str
    snoozed_until: str | None
    done_at: str | None
    done_note: str | None

    @property
    def day(self) -> str:
        """When it is due now: the snooze date if snoozed, else the promised date."""
        return self.snoozed_until or self.due_on


def parse_every(text: str, *, start: date | None = None) -> str:
    """'1w', '2w', 'm', '1y' or an RRULE ('FREQ=MONTHLY;BYMONTHDAY=1') → an RRULE.

    Monthly and yearly from a 29th–31st fall on the month's last day when the month is
    shorter (RFC 5545 alone would skip those months).
    """
    text = text.strip()
    m = _EVERY.fullmatch(text)
    if m:
        if (
            len(m[1]) > 5
            or dates.span_days(dates.parse_span(f"{m[1] or 1}{m[2]}", what="--every")) > HORIZON
        ):
            raise InvalidValue(
                M_("--every {every}: at most ten years (10y, 120m…)").format(
                    every=dates.shown(text)
                )
            )
        interval = int(m[1] or 1)
        if interval < 1:
            raise InvalidValue(M_("--every needs a positive interval, e.g. 2w"))
        unit = m[2].lower()
        rule = f"FREQ={_FREQ[unit]}"
        if interval > 1:
            rule += f";INTERVAL={interval}"
        if start is not None and start.day > 28 and unit in "my":
            if unit == "y":
                rule += f";BYMONTH={start.month}"
            rule += f";BYMONTHDAY={start.day},-1;BYSETPOS=1"
        return rule
    rule = text.upper().removeprefix("RRULE:")
    check_rule(rule, start=start or date(2000, 1, 1), text=text)
    return rule


# An RRULE's parts, each checked before dateutil sees the rule: dateutil loops forever on
# INTERVAL=0, repeats within the day on SECONDLY…HOURLY, and searches to the year 9999
# (minutes) for a rule that matches no day (BYMONTH=2;BYMONTHDAY=30, BYSETPOS=9). So
# only parts that always match some day are taken: anything else (BYHOUR, BYYEARDAY,
# BYWEEKNO, DTSTART…) is refused, not interpreted. COUNT too: each occurrence starts
# the rule afresh from its own day, so a count would never run out.
_MAX_INTERVAL = {"DAILY": HORIZON, "WEEKLY": HORIZON // 7, "MONTHLY": 120, "YEARLY": 10}
_DAY = r"[+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU)"
_PART = {
    "FREQ": r"DAILY|WEEKLY|MONTHLY|YEARLY",
    "INTERVAL": r"\d{1,5}",
    "UNTIL": r"\d{8}(T\d{6}Z?)?",
    "WKST": r"MO|TU|WE|TH|FR|SA|SU",
    "BYMONTH": r"\d{1,2}(,\d{1,2}){0,11}",
    "BYMONTHDAY": r"-?\d{1,2}(,-?\d{1,2}){0,30}",
    "BYDAY": rf"{_DAY}(,{_DAY}){{0,6}}",
    "BYSETPOS": r"-?1",
}


def check_rule(rule: str, *, start: date, text: str) -> None:
    """Refuse an RRULE that would not advance by at least a day, or never match a day."""
    usage = InvalidValue(
        M_(
            "--every {every} is neither a span (1w, 2w, 1m, 1y) nor an RRULE that repeats at "
            "most daily (FREQ=MONTHLY;BYMONTHDAY=1, FREQ=WEEKLY;BYDAY=MO,TH)"
        ).format(every=dates.shown(text))
    )
    parts: dict[str, str] = {}
    for part in (p for p in rule.split(";") if p):
        name, _, value = part.partition("=")
        if name not in _PART or name in parts or not re.fullmatch(_PART[name], value):
            raise usage
        parts[name] = value
    if "FREQ" not in parts:
        raise usage
    interval = int(parts.get("INTERVAL", "1"))
    if not 1 <= interval <= _MAX_INTERVAL[parts["FREQ"]]:
        raise InvalidValue(
            M_(
                "--every {every}: INTERVAL must be from 1 to {most} (at most ten years apart)"
            ).format(every=dates.shown(text), most=_MAX_INTERVAL[parts["FREQ"]])
        )
    months = [int(m) for m in parts.get("BYMONTH", "1,2,3,4,5,6,7,8,9,10,11,12").split(",")]
    days = [int(d) for d in parts.get("BYMONTHDAY", "1").split(",")]
    if not all(1 <= m <= 12 for m in months) or not all(1 <= abs(d) <= 31 for d in days):
        raise usage
    longest = max(monthrange(2000, m)[1] for m in months)  # 2000: a leap year
    if all(abs(d) > longest for d in days):
        raise InvalidValue(
            M_("--every {every} matches no day of the calendar").format(every=dates.shown(text))
        )
    try:
        first = next_occurrence(rule, start)
        second = next_occurrence(rule, first) if first else None
    except (ValueError, TypeError, OverflowError):
        raise usage from None
    if first is None:
        raise InvalidValue(
            M_("--every {every} has no occurrence within ten years of {start}").format(
                every=dates.shown(text), start=start
            )
        )
    if second is not None and second <= first:
        raise InvalidValue(
            M_("--every {every} repeats more often than once a day").format(every=dates.shown(text))
        )


def next_occurrence(rule: str, after: date) -> date | None:
    """The first occurrence of `rule` (started on `after`) later than `after`."""
    from dateutil.rrule import rrulestr

    start = datetime(after.year, after.month, after.day)
    recurrence = rrulestr(rule, dtstart=start)
    # dateutil searches to the year 9999 for a rule that matches no day (31 February),
    # seconds to minutes: look no further than the horizon.
    horizon = datetime.combine(min(after + timedelta(days=HORIZON), dates.LAST_DAY), time())
    until = getattr(recurrence, "_until", None)
    if until is None or until > horizon:
        recurrence = recurrence.replace(until=horizon)
    found = recurrence.after(start)
    if found is None or found.date() > dates.LAST_DAY:  # the rule has run out, or past time
        return None
    return found.date()


def add(
    db: Engine,
    *,
    customer_id: int,
    on: date,
    note: str,
    every: str | None = None,
    owner: str | None = None,
) -> int:
    """Record a promise to get back to a customer on `on`; returns its id."""
    note = text.check(note.strip(), field="--note", multiline=True)
    if not note:
        raise InvalidValue(M_("a follow-up needs a --note saying what was promised"))
    dates.in_range(on, what="the follow-up's day")
    text.check_optional(owner, field="--owner")
    rule = parse_every(every, start=on) if every else None
    with db.write():
        return _insert(db, customer_id, on, note, rule, owner or None)


def _insert(
    db: Engine, customer_id: int, on: date, note: str, rule: str | None, owner: str | None
) -> int:
    return db.insert(
        "followups",
        {
            "customer_id": customer_id,
            "due_on": on.isoformat(),
            "note": note,
            "rrule": rule,
            "owner": owner,
            "created_at": dates.now_utc(),
        },
    )


def get(db: Engine, followup_id: int) -> Followup:
    row = db.execute(
        "SELECT id, customer_id, due_on, note, rrule, owner, status, snoozed_until, done_at,"
        " done_note FROM followups WHERE id = ?",
        [followup_id],
    ).fetchone()
    if row is None:
        raise NotFound(_("no follow-up #{id}").format(id=followup_id))
    return Followup(*row)


def _open(db: Engine, followup_id: int) -> Followup:
    # Inside the write, the row held to its end: a second till marking it done waits,
    # then finds it done, so a repeating one advances once.
    db.execute(f"SELECT id FROM followups WHERE id = ?{db.locks_rows}", [followup_id])
    f = get(db, followup_id)
    if f.status != "open":
        raise Conflict(
            M_("follow-up #{id} is already {status}").format(id=followup_id, status=f.status)
        )
    return f


def done(db: Engine, followup_id: int, *, note: str | None = None) -> int | None:
    """Mark a follow-up done; for a recurring one, open the next occurrence (its id)."""
    text.check_optional(note, field="--note", multiline=True)
    with db.write():
        f = _open(db, followup_id)
        db.execute(
            "UPDATE followups SET status = 'done', done_at = ?, done_note = ? WHERE id = ?",
            [dates.now_utc(), (note or "").strip() or None, followup_id],
        )
        if not f.rrule:
            return None
        due_on = date.fromisoformat(f.due_on)
        try:  # a rule stored before rules were checked may repeat within the day
            check_rule(f.rrule, start=due_on, text=f.rrule)
        except InvalidValue:
            return None  # such a rule ends here rather than loop
        upcoming = next_occurrence(f.rrule, due_on)
        if upcoming is None or upcoming <= due_on:  # the rule has run out (UNTIL=…)
            return None
        return _insert(db, f.customer_id, upcoming, f.note, f.rrule, f.owner)


def snooze(db: Engine, followup_id: int, *, until: date) -> None:
    """Put a follow-up off until `until` (the promised date is kept)."""
    dates.in_range(until, what="the snooze day")
    with db.write():
        f = _open(db, followup_id)
        if until < date.fromisoformat(f.due_on):
            raise InvalidValue(
                M_("snooze until a day after the promised {due}, not {until}").format(
                    due=f.due_on, until=until
                )
            )
        db.execute("UPDATE followups SET snoozed_until = ? WHERE id = ?", [until.isoformat(), f.id])


def cancel(db: Engine, followup_id: int) -> None:
    """Drop a promise that no longer stands."""
    with db.write():
        _open(db, followup_id)
        db.execute(
            "UPDATE followups SET status = 'cancelled', done_at = ? WHERE id = ?",
            [dates.now_utc(), followup_id],
        )


def rows(
    db: Engine, *, customer_id: int | None = None, status: str | None = "open"
) -> list[dict[str, Any]]:
    """Follow-ups with their customer's code and name, soonest first."""
    where: list[str] = []
    params: list[Any] = []
    if customer_id is not None:
        where.append("f.customer_id = ?")
        params.append(customer_id)
    if status:
        where.append("f.status = ?")
        params.append(status)
    sql = (
        "SELECT f.id, coalesce(f.snoozed_until, f.due_on) AS day, f.due_on, f.snoozed_until,"
        " f.status, c.code, c.name AS customer, f.note, f.rrule, coalesce(f.owner, c.owner)"
        " AS owner, f.done_at, f.done_note FROM followups f JOIN customers c ON c.id ="
        " f.customer_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY day, f.id"
    )
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor]
