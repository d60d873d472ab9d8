"""An item's launch (early adopters, seed 003): a day the owner sets, else its first sale.

The partial index holds what launches and early buyers are read from — sold lines
with an item, by item then day, with the buyer — so an item's first sale is one
seek and the buyers of a launch month are one range, read from the index alone.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE TABLE item_launches (
            item        TEXT PRIMARY KEY,   -- exactly as on the purchase lines
            launched_on TEXT NOT NULL,      -- YYYY-MM-DD
            set_at      TEXT NOT NULL
        );
        CREATE INDEX purchases_item_launch ON purchases(item, date, customer_id)
            WHERE amount_micros > 0 AND item IS NOT NULL;
        """,
    )
