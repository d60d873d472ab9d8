"""The contact log: every call, visit, message or card sent to a customer.

Logging a contact resets the clock of the customer's tier visit cadence.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmcli import dates, text
from crmcli.errors import InvalidValue
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

CHANNELS = ("call", "visit", "sms", "email", "mail", "message", "in-store", "other")
# How an agenda item was dealt with.
OUTCOMES = ("done", "skipped", "sent")


def log(
    db: Engine,
    *,
    customer_id: int,
    channel: str,
    note: str | None = None,
    by: str | None = None,
    at: datetime | str | None = None,
    item: str | None = None,
    outcome: str | None = None,
) -> int:
    """Record a contact with a customer; returns its id.

    `item`/`outcome`: the agenda item it dealt with (`due done`, `due skip`,
    `greet --mark-sent`); a plain contact clears the customer's open greetings and
    after-sale checks, a skipped item is no contact at all (see `crmcli.agenda`).
    """
    channel = channel.strip().lower()
    if channel not in CHANNELS:
        raise InvalidValue(
            M_("channel must be one of: {choices} (got {value})").format(
                choices=", ".join(CHANNELS), value=repr(channel)
            )
        )
    if outcome not in (None, *OUTCOMES):
        raise InvalidValue(
            M_("outcome must be one of: {choices} (got {value})").format(
                choices=", ".join(OUTCOMES), value=repr(outcome)
            )
        )
    text.check_optional(note, field="--note", multiline=True)
    text.check_optional(by, field="--by")
    when = at.isoformat() if isinstance(at, datetime) else (at or dates.now_utc())
    with db.write():
        return db.insert(
            "contacts",
            {
                "customer_id": customer_id,
                "at": when,
                "channel": channel,
                "note": (note or "").strip() or None,
                "by": by or None,
                "item": item,
                "outcome": outcome,
            },
        )


def rows(db: Engine, *, customer_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest contacts, newest first."""
    sql = (
        "SELECT k.id, k.at, c.code, c.name AS customer, k.channel, k.note, k.by"
        " FROM contacts k JOIN customers c ON c.id = k.customer_id"
        + (" WHERE k.customer_id = ?" if customer_id is not None else "")
        + " ORDER BY k.at DESC, k.id DESC LIMIT ?"
    )
    params: list[Any] = [customer_id] if customer_id is not None else []
    cursor = db.execute(sql, [*params, limit])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor]
