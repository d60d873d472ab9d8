"""Editable greeting templates, named `kind` or `kind.locale` (birthday.ko…)."""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run

# The templates a new database starts with, as they were when this migration was
# released: a migration carries its data, so later edits to the live greetings code
# never change what an old database is given. Later migrations add more (m091 the
# traditional Chinese ones, m102 family birthdays, m110 thanks), each keeping a shop's
# own template of the same name.
TEMPLATES = {
    "birthday": "Happy birthday, {salutation}! Warm wishes from {shop}.",
    "birthday.ko": "{salutation}, 생일을 진심으로 축하드립니다! {shop} 드림",
    "birthday.ja": "{salutation}、お誕生日おめでとうございます。{shop}より",
    "birthday.zh": "{salutation}，祝您生日快乐！{shop}",
    "birthday.hy": "Հարգելի {salutation}, շնորհավորում ենք Ձեր ծննդյան օրը։ {shop}",
    "birthday.ru": "{salutation}, поздравляем вас с днём рождения! {shop}",
    "anniversary": "Dear {salutation}, congratulations on your {occasion}! {shop}",
    "anniversary.ko": "{salutation}, 뜻깊은 기념일을 진심으로 축하드립니다. {shop} 드림",
    "anniversary.ja": "{salutation}、記念日おめでとうございます。{shop}より",
    "anniversary.zh": "{salutation}，祝您纪念日快乐！{shop}",
    "anniversary.hy": "Հարգելի {salutation}, շնորհավորում ենք Ձեր տարեդարձը։ {shop}",
    "anniversary.ru": "{salutation}, поздравляем вас с годовщиной! {shop}",
    "holiday": "Dear {salutation}, best wishes for {holiday}! {shop}",
    "holiday.ko": "{salutation}, 즐겁고 행복한 {holiday} 보내세요! {shop} 드림",
    "holiday.ja": "{salutation}、よい{holiday}をお過ごしください。{shop}より",
    "holiday.zh": "{salutation}，祝您{holiday}快乐！{shop}",
    "holiday.hy": "Հարգելի {salutation}, շնորհավորում ենք՝ {holiday}։ {shop}",
    "holiday.ru": "{salutation}, поздравляем вас: {holiday}! {shop}",
}


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE TABLE templates (
            name       TEXT PRIMARY KEY,    -- birthday, birthday.ko, holiday.ja, my-own…
            body       TEXT NOT NULL,       -- with {salutation}, {holiday}, {shop}…
            updated_at TEXT NOT NULL
        );
        """,
    )
    for name, body in TEMPLATES.items():
        db.execute("INSERT INTO templates (name, body, updated_at) VALUES (?, ?, '')", [name, body])
