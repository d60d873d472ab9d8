"""Lunar birthdays by their lunar month-day: the agenda's lunar source reads them alone.

The birthday index holds every birthday by month-day, and a lunar month-day is a solar
one too: the lunar source read some fourteen days' worth of birthdays (38,000 customers
at 1M) to keep the 3,000 lunar ones. Only lunar birthdays go in this index.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        "CREATE INDEX customers_lunar_birthday ON customers(substr(birthday, -5))"
        " WHERE birthday_lunar != 0;",
    )


POSTGRESQL = """
CREATE INDEX customers_lunar_birthday ON customers(right(birthday, 5)) WHERE birthday_lunar != 0;
"""
