"""A customer's visit plans, cancelled ones too, are found by customer.

The customer page lists the visits made under every plan a customer has had. The only
index on `visit_plans.customer_id` holds the plans in force (`visit_plans_active`,
partial), so SQLite could not start from the customer's plans: it read every logged
contact of the shop and looked each one up among the visits (10-20 ms a page at a
million customers, 100,150 contacts, and growing with the contact log). This index
holds every plan by customer; plans are added by hand, so it costs writes nothing
that matters.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(db, "CREATE INDEX visit_plans_customer ON visit_plans(customer_id);")


POSTGRESQL = """
CREATE INDEX visit_plans_customer ON visit_plans(customer_id);
"""
