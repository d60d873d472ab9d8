"""A cache of the holidays package's lists, and an index of customers' contact windows."""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        -- The holidays package's list per country, language and year: importing and
        -- computing it costs more than the whole agenda query, so it is kept here.
        CREATE TABLE holiday_cache (
            country  TEXT NOT NULL,
            language TEXT NOT NULL,
            year     INTEGER NOT NULL,
            source   TEXT NOT NULL,         -- which install of the package made it
            days     TEXT NOT NULL,         -- JSON: {"YYYY-MM-DD": name}
            PRIMARY KEY (country, language, year)
        ) WITHOUT ROWID;

        -- The few customers with a contact window, found without reading every customer.
        CREATE INDEX customers_contact_days ON customers(contact_days)
            WHERE contact_days IS NOT NULL;
        """,
    )
