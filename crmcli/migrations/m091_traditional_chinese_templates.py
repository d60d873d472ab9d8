"""Greetings in traditional characters for zh_Hant customers (Taiwan, Hong Kong):
`birthday.zh` is simplified (快乐), and a template is chosen by the customer's
locale, most specific first. A shop's own template of that name is kept.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    for name, body in (
        ("birthday.zh_Hant", "{salutation}，祝您生日快樂！{shop}"),
        ("anniversary.zh_Hant", "{salutation}，祝您紀念日快樂！{shop}"),
        ("holiday.zh_Hant", "{salutation}，祝您{holiday}快樂！{shop}"),
    ):
        db.execute(
            "INSERT OR IGNORE INTO templates (name, body, updated_at) VALUES (?, ?, '')",
            [name, body],
        )
