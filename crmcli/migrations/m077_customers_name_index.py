"""Customers by name: an import row that gives only a name is matched by it (so a
re-import of a list of names finds each again instead of adding them twice).
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(db, "CREATE INDEX customers_name ON customers(name);")
