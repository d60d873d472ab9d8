"""A customer's page reads their purchases from indexes alone, whatever their number.

`customers show` of the biggest buyer (240,000 lines of 10 million) looked every line
up in the table four times: for the totals, the buying rhythm, and the top items and
categories. The customer-and-date index now carries the amount (totals, rhythm), and
a customer-and-item index gives the lines per item and category in one ordered pass,
without sorting. A big purchase import drops and rebuilds both like the others.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        DROP INDEX IF EXISTS purchases_customer_date;
        CREATE INDEX purchases_customer_date ON purchases(customer_id, date, amount_micros);
        CREATE INDEX purchases_customer_item
            ON purchases(customer_id, item, category, date, amount_micros);
        """,
    )


POSTGRESQL = """
DROP INDEX IF EXISTS purchases_customer_date;
CREATE INDEX purchases_customer_date ON purchases(customer_id, date, amount_micros);
CREATE INDEX purchases_customer_item
    ON purchases(customer_id, item, category, date, amount_micros);
"""
