"""A classification run keeps each of its reasons once; its rows point to them.

Every customer of a tier was given the same words ("the customers ranked above hold
less than 80 % of revenue"), stored on each of their rows: at a million customers, over
half of the bytes a run wrote, and of what the agenda reads to find a tier's members.
Now a run's reasons are rows of `tier_run_reasons` (run, code, words) and an assignment
carries the code. A row keeps words of its own only where they are its own (the growth
rule's percentages: `reason`, with no code). Runs made before keep their words on every
row, as they were written: readers take a row's own words first.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE TABLE tier_run_reasons (
            run_id INTEGER NOT NULL REFERENCES tier_runs(id) ON DELETE CASCADE,
            code   INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (run_id, code)
        ) WITHOUT ROWID;
        ALTER TABLE tier_assignments ADD COLUMN reason_code INTEGER;
        """,
    )


POSTGRESQL = """
CREATE TABLE tier_run_reasons (
    run_id bigint NOT NULL REFERENCES tier_runs(id) ON DELETE CASCADE,
    code   bigint NOT NULL,
    reason text COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, code)
);
ALTER TABLE tier_assignments ADD COLUMN reason_code bigint;
"""
