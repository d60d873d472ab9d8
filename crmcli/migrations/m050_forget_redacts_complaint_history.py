"""Complaint history stays append-only, except that forgetting may remove its text.

The only update now allowed on `complaint_events` touches an event whose customer
is forgotten (`forgotten_at` set), keeps who, when and which stages, empties
`note` and `skip_reason`, and may only *remove* keys from `fields` (never add or
change one): `customers forget` erases what was said about the person, keeps the
order of events and the amounts the complaint report adds up.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        DROP TRIGGER complaint_events_no_update;
        CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
        WHEN NOT (
            new.id IS old.id AND new.complaint_id IS old.complaint_id AND new.at IS old.at
            AND new.by IS old.by AND new.from_stage IS old.from_stage
            AND new.to_stage IS old.to_stage
            AND new.note IS NULL AND new.skip_reason IS NULL
            AND (
                new.fields IS NULL
                OR (json_valid(old.fields) AND json_valid(new.fields) AND NOT EXISTS (
                    SELECT 1 FROM json_each(new.fields) AS n
                    WHERE NOT EXISTS (
                        SELECT 1 FROM json_each(old.fields) AS o
                        WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value
                    )
                ))
            )
            AND EXISTS (SELECT 1 FROM complaints c JOIN customers u ON u.id = c.customer_id
                        WHERE c.id = old.complaint_id AND u.forgotten_at IS NOT NULL)
        )
        BEGIN
            SELECT RAISE(ABORT, 'complaint history is append-only');
        END;
        """,
    )
