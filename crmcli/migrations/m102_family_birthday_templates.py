"""Greetings for a relative's birthday (`customers relate … --greet`), sent to the
customer. A shop's own template of the same name is kept.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    for name, body in (
        (
            "family-birthday",
            "Dear {salutation}, happy birthday to your {relation} {relative}! {shop}",
        ),
        (
            "family-birthday.ko",
            "{salutation}, {relative} 님의 생일을 진심으로 축하드립니다! {shop} 드림",
        ),
        (
            "family-birthday.ja",
            "{salutation}、{relative}様のお誕生日おめでとうございます。{shop}より",
        ),
        ("family-birthday.zh", "{salutation}，祝{relative}生日快乐！{shop}"),
        ("family-birthday.zh_Hant", "{salutation}，祝{relative}生日快樂！{shop}"),
        ("family-birthday.ru", "{salutation}, поздравляем {relative} с днём рождения! {shop}"),
    ):
        db.execute(
            "INSERT OR IGNORE INTO templates (name, body, updated_at) VALUES (?, ?, '')",
            [name, body],
        )
