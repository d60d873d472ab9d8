"""Thank-you messages after an order (seed 001), per language like the other
greetings; `{items}` is what was bought. A shop's own template of that name is kept.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    for name, body in (
        ("thanks", "Dear {salutation}, thank you for your purchase ({items})! {shop}"),
        ("thanks.ko", "{salutation}, 구매해 주셔서 진심으로 감사드립니다. {shop} 드림"),
        ("thanks.ja", "{salutation}、このたびはお買い上げいただき誠にありがとうございます。{shop}"),
        ("thanks.zh", "{salutation}，感谢您的惠顾！{shop}"),
        ("thanks.zh_Hant", "{salutation}，感謝您的惠顧！{shop}"),
        ("thanks.hy", "Հարգելի {salutation}, շնորհակալություն Ձեր գնման համար։ {shop}"),
        ("thanks.ru", "{salutation}, благодарим вас за покупку! {shop}"),
    ):
        db.execute(
            "INSERT OR IGNORE INTO templates (name, body, updated_at) VALUES (?, ?, '')",
            [name, body],
        )
