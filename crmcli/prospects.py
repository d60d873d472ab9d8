"""Prospects (seed 002: "potential customers get a timely call"): a customer with no
purchase yet.

A prospect added by hand (`customers add`) gets a first call `prospects.first_call`
after being added, then one every `prospects.cadence` after the last contact, until
they buy or are marked lost (`customers edit REF --lost --reason TEXT`; `--not-lost`
undoes it). Customers read from an import (a shop's old address book: 100,000 people
who never bought) are prospects too, but get no calls: the table of calls would be
unworkable; `customers edit REF --call-prospect` puts one of them on the cadence.
The calls due are an agenda source: `agenda.prospect_calls`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from crmcli import text
from crmcli.errors import InvalidValue
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

# A customer with no purchase line (an anonymous sale names nobody).
NO_PURCHASE = "NOT EXISTS (SELECT 1 FROM purchases p WHERE p.customer_id = c.id)"


def status(db: Engine, customer_id: int) -> str:
    """`customer` (has bought), `prospect`, or `lost` (a prospect given up)."""
    row = db.execute(
        f"SELECT {NO_PURCHASE}, lost_at, lost_reason FROM customers c WHERE id = ?",
        [customer_id],
    ).fetchone()
    if row is None or not row[0]:
        return "customer"
    return "lost" if row[1] else "prospect"


def describe(db: Engine, customer_id: int) -> str:
    """The status as the customer's page says it."""
    row = db.execute(
        "SELECT lost_at, lost_reason, prospect_calls_from FROM customers WHERE id = ?",
        [customer_id],
    ).fetchone()
    found = status(db, customer_id)
    if found == "customer" or row is None:
        return found
    if found == "lost":
        return f"lost prospect (since {row[0][:10]}: {row[1] or 'no reason given'})"
    return "prospect (no purchase yet)" + ("" if row[2] else "; no calls planned (imported)")


def mark_lost(db: Engine, customer_id: int, *, reason: str | None, on: date) -> None:
    """Give a prospect up: no more calls. A customer who has bought is not a prospect."""
    if status(db, customer_id) == "customer":
        raise InvalidValue(
            M_("customer #{id} has bought: not a prospect to mark lost").format(id=customer_id)
        )
    reason = (reason or "").strip() or None
    if reason is not None:
        text.check(reason, field="--reason")
    with db.write():
        db.execute(
            "UPDATE customers SET lost_at = ?, lost_reason = ? WHERE id = ?",
            [on.isoformat(), reason, customer_id],
        )


def not_lost(db: Engine, customer_id: int) -> None:
    """Undo `mark_lost`: the calls start again from the last contact."""
    with db.write():
        db.execute(
            "UPDATE customers SET lost_at = NULL, lost_reason = NULL WHERE id = ?", [customer_id]
        )


def call(db: Engine, customer_id: int, *, on: date) -> None:
    """Put a prospect (an imported one) on the call cadence from `on`."""
    with db.write():
        db.execute(
            "UPDATE customers SET prospect_calls_from = coalesce(prospect_calls_from, ?)"
            " WHERE id = ?",
            [on.isoformat(), customer_id],
        )
