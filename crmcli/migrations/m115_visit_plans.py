"""Visit plans with a goal (seed 004): a customer's own cadence over their tier's.

At most one plan per customer is active (`cancelled_at IS NULL`, a partial unique
index). Each visit logged against a plan keeps the goal it had and whether it was
met (`met` NULL: not said), so the page can give the plan's record.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE TABLE visit_plans (
            id           INTEGER PRIMARY KEY,
            customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            every        TEXT NOT NULL,      -- a span: 1m, 3m, 1y…
            goal         TEXT NOT NULL,
            from_day     TEXT NOT NULL,      -- YYYY-MM-DD: the first visit is due then
            created_at   TEXT NOT NULL,
            cancelled_at TEXT
        );
        CREATE UNIQUE INDEX visit_plans_active ON visit_plans(customer_id)
            WHERE cancelled_at IS NULL;
        CREATE TABLE visit_results (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
            plan_id    INTEGER NOT NULL REFERENCES visit_plans(id) ON DELETE CASCADE,
            goal       TEXT NOT NULL,
            met        INTEGER
        );
        CREATE INDEX visit_results_plan ON visit_results(plan_id);
        """,
    )
