"""The bare-Python reference for `crmcli due`: sqlite3 and csv from the standard library only.

    python benchmarks/reference_due.py DB --as-of 2025-12-01 [--days 7]

Prints, as CSV, the solar birthdays (with or without a year; 29 February on
28 February in common years) and the open follow-ups (overdue included) falling
due in the `days` days from the as-of date (1 = that day only): date, kind,
customer, phone, why, owner, sorted by date. It reads crmcli's schema and uses its indexes
(`substr(birthday, -5)`, `followups(status, due_on)`), as a developer writing
this query by hand would. Lunar birthdays, holidays and visits need libraries or
rules a bare script does not have; the benchmark compares it with
`crmcli due --kind birthday --kind followup` and reports the row counts of both.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import sqlite3
import sys
from datetime import date, timedelta

BIRTHDAYS = """
SELECT substr(c.birthday, -5) AS md, coalesce(c.code, '#' || c.id), c.name,
       (SELECT raw FROM customer_phones p WHERE p.customer_id = c.id ORDER BY position LIMIT 1),
       c.birthday, c.owner
FROM customers c
WHERE substr(c.birthday, -5) IN ({marks})
  AND c.birthday_lunar = 0 AND c.do_not_contact = 0
  AND c.archived_at IS NULL AND c.forgotten_at IS NULL
"""
FOLLOWUPS = """
SELECT coalesce(f.snoozed_until, f.due_on), coalesce(c.code, '#' || c.id), c.name,
       (SELECT raw FROM customer_phones p WHERE p.customer_id = c.id ORDER BY position LIMIT 1),
       f.note, coalesce(f.owner, c.owner)
FROM followups f JOIN customers c ON c.id = f.customer_id
WHERE f.status = 'open' AND f.due_on <= ?
  AND coalesce(f.snoozed_until, f.due_on) <= ?
  AND c.do_not_contact = 0 AND c.archived_at IS NULL AND c.forgotten_at IS NULL
"""


def agenda(db: sqlite3.Connection, as_of: date, days: int, lead: int = 0) -> list[tuple[str, ...]]:
    """The window's rows; a birthday is listed `lead` days before it (a card must arrive)."""
    end = as_of + timedelta(days=days - 1)  # --days 1 is today only, as in crmcli due
    # month-day -> the day it is celebrated this time round, inside the window
    when: dict[str, date] = {}
    day = as_of + timedelta(days=lead)
    while day <= end + timedelta(days=lead):
        when[f"{day.month:02d}-{day.day:02d}"] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            when["02-29"] = day
        day += timedelta(days=1)
    rows: list[tuple[str, ...]] = []
    sql = BIRTHDAYS.format(marks=", ".join("?" for _ in when))
    for md, ref, name, phone, birthday, owner in db.execute(sql, list(when)):
        celebrated = when[md]
        why = "birthday"
        if not birthday.startswith("--"):
            why = f"birthday ({celebrated.year - int(birthday[:4])})"
        why += f" on {celebrated.isoformat()}"
        listed = (celebrated - timedelta(days=lead)).isoformat()
        rows.append((listed, "birthday", name or ref, phone or "", why, owner or ""))
    for on, ref, name, phone, note, owner in db.execute(FOLLOWUPS, [end.isoformat()] * 2):
        rows.append((on, "followup", name or ref, phone or "", note, owner or ""))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--lead", type=int, default=0, help="Days a birthday is listed early.")
    args = parser.parse_args(argv)
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(("date", "kind", "customer", "phone", "why", "owner"))
    writer.writerows(agenda(db, args.as_of, args.days, args.lead))
    return 0


if __name__ == "__main__":
    sys.exit(main())
