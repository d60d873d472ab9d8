"""Prospects (customers with no purchase): a lost mark with its reason, and the day
calls start for one added by hand (NULL for imported ones: no flood of calls).
Customers already stored get no calls (they were there before prospects were).
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        ALTER TABLE customers ADD COLUMN lost_at TEXT;
        ALTER TABLE customers ADD COLUMN lost_reason TEXT;
        ALTER TABLE customers ADD COLUMN prospect_calls_from TEXT;
        CREATE INDEX customers_prospect_calls ON customers(prospect_calls_from)
            WHERE prospect_calls_from IS NOT NULL AND lost_at IS NULL;
        """,
    )
