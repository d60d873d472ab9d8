"""Each tier assignment keeps the revenue of the customers ranked above it, and each
run the revenue it shares out, so a customer's page need not sum a whole run.

`customers show` and `tiers history` give the share of revenue held by the customers
ranked above (pareto's measure): summing it read every assignment of the run, a
million at 1M customers, for one customer. Classification computes both anyway;
runs made before are filled in here.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        ALTER TABLE tier_runs ADD COLUMN positive_micros INTEGER;
        ALTER TABLE tier_assignments ADD COLUMN above_micros INTEGER;
        UPDATE tier_runs SET positive_micros = (
            SELECT coalesce(sum(max(a.spend_micros, 0)), 0) FROM tier_assignments a
            WHERE a.run_id = tier_runs.id
        );
        UPDATE tier_assignments SET above_micros = w.above
        FROM (
            SELECT run_id, customer_id,
                   sum(max(spend_micros, 0)) OVER (
                       PARTITION BY run_id ORDER BY rank ROWS UNBOUNDED PRECEDING
                   ) - max(spend_micros, 0) AS above
            FROM tier_assignments
        ) AS w
        WHERE w.run_id = tier_assignments.run_id AND w.customer_id = tier_assignments.customer_id;
        """,
    )


POSTGRESQL = """
ALTER TABLE tier_runs ADD COLUMN positive_micros bigint;
ALTER TABLE tier_assignments ADD COLUMN above_micros bigint;
UPDATE tier_runs SET positive_micros = (
    SELECT coalesce(sum(greatest(a.spend_micros, 0)), 0) FROM tier_assignments a
    WHERE a.run_id = tier_runs.id
);
UPDATE tier_assignments AS t SET above_micros = w.above
FROM (
    SELECT run_id, customer_id,
           sum(greatest(spend_micros, 0)) OVER (
               PARTITION BY run_id ORDER BY rank ROWS UNBOUNDED PRECEDING
           ) - greatest(spend_micros, 0) AS above
    FROM tier_assignments
) AS w
WHERE w.run_id = t.run_id AND w.customer_id = t.customer_id;
"""
