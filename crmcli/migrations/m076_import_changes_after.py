"""What an import left each record as (JSON; a digest for a record it added), so undo can
tell later hand edits from the import's own changes and never overwrite them silently.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(db, "ALTER TABLE import_changes ADD COLUMN after TEXT;")
