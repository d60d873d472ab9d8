"""How a customer's name is read (フリガナ, pinyin): a field of its own, searchable.

Japanese lists carry a kana column beside the kanji name; kept as an extra field
it was neither searched nor shown with the name.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    columns = {r[1] for r in db.execute("PRAGMA table_info(customers)")}
    if "name_reading" not in columns:
        db.execute("ALTER TABLE customers ADD COLUMN name_reading TEXT")
