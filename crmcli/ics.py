"""The agenda as an iCalendar file (RFC 5545) a calendar app can subscribe to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from crmcli.agenda import Entry

PRODID = "-//crmcli//agenda//EN"


def calendar(entries: Iterable[Entry], *, name: str = "crmcli agenda") -> bytes:
    """One all-day event per agenda item, on the day to act; UIDs stay stable between exports."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    for entry in entries:
        row = entry.row()
        item = entry.item
        assert item.day is not None
        event = Event()
        event.add("uid", f"{item.key}@crmcli")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + timedelta(days=1))
        # Which customer, beyond doubt: two Bruces on one day are two events apart.
        event.add("summary", f"{item.kind}: {row['ref']} {row['name']}")
        details = [row["why"], f"salutation: {row['salutation']}"]
        if row["phone"]:
            details.append(f"phone: {row['phone']}")
        if row["email"]:
            details.append(f"e-mail: {row['email']}")
        if row["owner"]:
            details.append(f"owner: {row['owner']}")
        event.add("description", "\n".join(details))
        event.add("categories", [item.kind])
        cal.add_component(event)
    return cal.to_ical()
