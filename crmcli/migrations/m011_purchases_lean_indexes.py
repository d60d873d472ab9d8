"""Lighter purchase indexes: every imported line paid to keep up ones no query needs.

Items and categories are only ever searched inside names (`LIKE '%x%'`, which no
index serves) or grouped within one customer's lines (found through
`purchases_customer_date`): both indexes go. The delivery index serves only
`delivery_date BETWEEN …` (after-sale checks), and most lines have no delivery
date: it keeps just the lines that have one.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        DROP INDEX IF EXISTS purchases_item;
        DROP INDEX IF EXISTS purchases_category;
        DROP INDEX IF EXISTS purchases_delivery;
        CREATE INDEX purchases_delivery ON purchases(delivery_date)
            WHERE delivery_date IS NOT NULL;
        """,
    )
