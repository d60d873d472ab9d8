"""The contact log remembers which agenda item a contact dealt with, and how.

`due done` / `due skip` / `greet --mark-sent` write a contact naming the item's key,
so it never comes back and the customer's page tells it. A skipped item is no
contact: it does not reset the visit clock.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        -- The agenda key dealt with, if any, and how: done, skipped or sent.
        ALTER TABLE contacts ADD COLUMN item TEXT;
        ALTER TABLE contacts ADD COLUMN outcome TEXT;
        CREATE INDEX contacts_item ON contacts(item) WHERE item IS NOT NULL;
        """,
    )
