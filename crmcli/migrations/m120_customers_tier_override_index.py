"""Customers with a tier set by hand, by tier: the agenda reads one tier's customers
(its visits, holiday greetings for `tier:A`) without scanning every customer.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        "CREATE INDEX customers_tier_override ON customers(tier_override)"
        " WHERE tier_override IS NOT NULL;",
    )


POSTGRESQL = """
CREATE INDEX customers_tier_override ON customers(tier_override) WHERE tier_override IS NOT NULL;
"""
