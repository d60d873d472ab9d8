"""Remember the region a number written without a country code was read in.

NULL (every number stored before): read under the `phone.region` setting, so it is
read again when the setting changes. An import's `--region`, the file's own
country or a row's country column sets it, and such a number keeps its reading.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    columns = {r[1] for r in db.execute("PRAGMA table_info(customer_phones)").fetchall()}
    if "region" not in columns:
        db.execute("ALTER TABLE customer_phones ADD COLUMN region TEXT")
