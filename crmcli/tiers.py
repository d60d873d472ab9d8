"""ABC tiers: each customer's current tier, and the contact cadence each tier gets.

A customer's tier is a manual override if one is set, else the tier from the most
recent classification run that included them.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlite_utils import Database

from crmcli import dates, settings

TIERS = ("A", "B", "C")


def current_tiers(db: Database) -> dict[int, str]:
    """customer id → current tier (override first), for every classified customer."""
    rows = db.execute(
        """SELECT c.id, coalesce(c.tier_override, a.tier)
           FROM customers c
           LEFT JOIN tier_assignments a
             ON a.customer_id = c.id
            AND a.run_id = (SELECT max(run_id) FROM tier_assignments x WHERE x.customer_id = c.id)
           WHERE c.tier_override IS NOT NULL OR a.tier IS NOT NULL"""
    )
    return {int(cid): tier for cid, tier in rows}


def cadence(db: Database, tier: str) -> relativedelta | None:
    """How often a customer of `tier` should be visited or called; None = never."""
    value = settings.get(db, f"tiers.cadence.{tier}")
    return dates.parse_span(value) if value else None
