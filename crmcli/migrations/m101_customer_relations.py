"""The people around a customer (seed 004: family, personal network, who referred whom).

One row per relation, read from the customer's side: `kind` is what the other is
to them. The other is a customer (`other_id`) or someone who is not (`other_name`,
with an optional birthday); `greet` puts that birthday on the customer's agenda.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE TABLE customer_relations (
            id             INTEGER PRIMARY KEY,
            customer_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            kind           TEXT NOT NULL,
            other_id       INTEGER REFERENCES customers(id) ON DELETE CASCADE,
            other_name     TEXT,
            other_birthday TEXT,
            greet          INTEGER NOT NULL DEFAULT 0,
            created_at     TEXT NOT NULL,
            CHECK ((other_id IS NULL) != (other_name IS NULL))
        );
        CREATE INDEX customer_relations_customer ON customer_relations(customer_id);
        CREATE INDEX customer_relations_other ON customer_relations(other_id)
            WHERE other_id IS NOT NULL;
        """,
    )
