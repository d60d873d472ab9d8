"""On SQLite, a table's key is never NULL, as on PostgreSQL.

SQLite lets a PRIMARY KEY column of an ordinary table hold NULL (a bug kept for
compatibility, sqlite.org/lang_createtable.html): a setting, a template, an import
profile or an item launch could be stored under no name at all, which no command can
ever name again, where a server refuses the row. And `visit_results.contact_id`, an
INTEGER PRIMARY KEY, is the table's row number: given NULL, SQLite numbered the result
itself, so it named whichever contact had that number, or none. The differential test
(tests/test_schema_both_engines.py) found both by trying each rule on both engines.

The five tables are small (one row per setting, template, profile, launched item and
logged visit): each is rebuilt (SQLite's twelve-step procedure; no table refers to
them, none has a trigger) with its key NOT NULL, and `visit_results` keyed by its
contact alone (WITHOUT ROWID, as `customer_tags` is), so that its key is a key and
not a row number. Every row keeps its values; a row stored under a NULL key, which
nothing can read, is not carried over.

PostgreSQL: every key there is NOT NULL already.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE TABLE settings_m135 (
            key   TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT INTO settings_m135 SELECT key, value FROM settings WHERE key IS NOT NULL;
        DROP TABLE settings;
        ALTER TABLE settings_m135 RENAME TO settings;

        CREATE TABLE templates_m135 (
            name       TEXT NOT NULL PRIMARY KEY,
            body       TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        INSERT INTO templates_m135 SELECT name, body, updated_at FROM templates
            WHERE name IS NOT NULL;
        DROP TABLE templates;
        ALTER TABLE templates_m135 RENAME TO templates;

        CREATE TABLE import_profiles_m135 (
            name    TEXT NOT NULL PRIMARY KEY,
            kind    TEXT NOT NULL,
            mapping TEXT NOT NULL,
            options TEXT
        );
        INSERT INTO import_profiles_m135 SELECT name, kind, mapping, options FROM import_profiles
            WHERE name IS NOT NULL;
        DROP TABLE import_profiles;
        ALTER TABLE import_profiles_m135 RENAME TO import_profiles;

        CREATE TABLE item_launches_m135 (
            item        TEXT NOT NULL PRIMARY KEY,
            launched_on TEXT NOT NULL,
            set_at      TEXT NOT NULL
        );
        INSERT INTO item_launches_m135 SELECT item, launched_on, set_at FROM item_launches
            WHERE item IS NOT NULL;
        DROP TABLE item_launches;
        ALTER TABLE item_launches_m135 RENAME TO item_launches;

        CREATE TABLE visit_results_m135 (
            contact_id INTEGER NOT NULL PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
            plan_id    INTEGER NOT NULL REFERENCES visit_plans(id) ON DELETE CASCADE,
            goal       TEXT NOT NULL,
            met        INTEGER
        ) WITHOUT ROWID;
        INSERT INTO visit_results_m135 SELECT contact_id, plan_id, goal, met FROM visit_results;
        DROP TABLE visit_results;
        ALTER TABLE visit_results_m135 RENAME TO visit_results;
        CREATE INDEX visit_results_plan ON visit_results(plan_id);
        """,
    )


POSTGRESQL = """
-- Every key is NOT NULL on PostgreSQL already: nothing to change.
"""
