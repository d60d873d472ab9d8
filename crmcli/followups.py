"""Promised call-backs ("I'll get back to you"): a follow-up is a promise with a date.

A recurring follow-up (`--every 1m`, or an RFC 5545 RRULE) stays one promise per
occurrence: marking one done closes that row and opens the next occurrence, so the
history of what was done stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from crmcli import dates
from crmcli.db import write
from crmcli.errors import Conflict, InvalidValue, NotFound

_EVERY = re.compile(r"(\d*)\s*([dwmy])", re.IGNORECASE)
_FREQ = {"d": "DAILY", "w": "WEEKLY", "m": "MONTHLY", "y": "YEARLY"}


@dataclass(frozen=True)
class Followup:
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
        interval = int(m[1] or 1)
        if interval < 1:
            raise InvalidValue("--every needs a positive interval, e.g. 2w")
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
    try:
        next_occurrence(rule, date(2000, 1, 1))
    except (ValueError, TypeError):
        raise InvalidValue(
            f"--every {text!r} is neither a span (1w, 2w, 1m, 1y) nor an RRULE "
            "(FREQ=MONTHLY;BYMONTHDAY=1)"
        ) from None
    return rule


def next_occurrence(rule: str, after: date) -> date | None:
    """The first occurrence of `rule` (started on `after`) later than `after`."""
    from dateutil.rrule import rrulestr

    start = datetime(after.year, after.month, after.day)
    found = rrulestr(rule, dtstart=start).after(start)
    return found.date() if found else None


def add(
    db: Database,
    *,
    customer_id: int,
    on: date,
    note: str,
    every: str | None = None,
    owner: str | None = None,
) -> int:
    """Record a promise to get back to a customer on `on`; returns its id."""
    note = note.strip()
    if not note:
        raise InvalidValue("a follow-up needs a --note saying what was promised")
    rule = parse_every(every, start=on) if every else None
    with write(db):
        cursor = db.execute(
            "INSERT INTO followups (customer_id, due_on, note, rrule, owner, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [customer_id, on.isoformat(), note, rule, owner or None, dates.now_utc()],
        )
    return int(cursor.lastrowid or 0)


def get(db: Database, followup_id: int) -> Followup:
    row = db.execute(
        "SELECT id, customer_id, due_on, note, rrule, owner, status, snoozed_until, done_at,"
        " done_note FROM followups WHERE id = ?",
        [followup_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"no follow-up #{followup_id}")
    return Followup(*row)


def _open(db: Database, followup_id: int) -> Followup:
    f = get(db, followup_id)
    if f.status != "open":
        raise Conflict(f"follow-up #{followup_id} is already {f.status}")
    return f


def done(db: Database, followup_id: int, *, note: str | None = None) -> int | None:
    """Mark a follow-up done; for a recurring one, open the next occurrence (its id)."""
    with write(db):
        f = _open(db, followup_id)
        db.execute(
            "UPDATE followups SET status = 'done', done_at = ?, done_note = ? WHERE id = ?",
            [dates.now_utc(), (note or "").strip() or None, followup_id],
        )
        if not f.rrule:
            return None
        upcoming = next_occurrence(f.rrule, date.fromisoformat(f.due_on))
        if upcoming is None:  # the rule has run out (COUNT=…, UNTIL=…)
            return None
        cursor = db.execute(
            "INSERT INTO followups (customer_id, due_on, note, rrule, owner, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [f.customer_id, upcoming.isoformat(), f.note, f.rrule, f.owner, dates.now_utc()],
        )
        return int(cursor.lastrowid or 0)


def snooze(db: Database, followup_id: int, *, until: date) -> None:
    """Put a follow-up off until `until` (the promised date is kept)."""
    with write(db):
        f = _open(db, followup_id)
        if until < date.fromisoformat(f.due_on):
            raise InvalidValue(f"snooze until a day after the promised {f.due_on}, not {until}")
        db.execute("UPDATE followups SET snoozed_until = ? WHERE id = ?", [until.isoformat(), f.id])


def cancel(db: Database, followup_id: int) -> None:
    """Drop a promise that no longer stands."""
    with write(db):
        _open(db, followup_id)
        db.execute(
            "UPDATE followups SET status = 'cancelled', done_at = ? WHERE id = ?",
            [dates.now_utc(), followup_id],
        )


def rows(
    db: Database, *, customer_id: int | None = None, status: str | None = "open"
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
