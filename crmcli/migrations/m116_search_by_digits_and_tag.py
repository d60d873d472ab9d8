"""Phone digits and tags found through indexes: `customers search 1234` read every
phone number (`digits LIKE '%1234%'`), and a tag in any case every tag.

A trigram index over the phones' digits finds any run of three or more digits
anywhere in a number; an index on tags without case serves `tag = ? COLLATE NOCASE`
in customer order, so a search with --limit stops early.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE VIRTUAL TABLE customer_phones_fts USING fts5(
            digits, content='customer_phones', content_rowid='id', tokenize='trigram'
        );
        CREATE TRIGGER customer_phones_fts_insert AFTER INSERT ON customer_phones BEGIN
            INSERT INTO customer_phones_fts(rowid, digits) VALUES (new.id, new.digits);
        END;
        CREATE TRIGGER customer_phones_fts_delete AFTER DELETE ON customer_phones BEGIN
            INSERT INTO customer_phones_fts(customer_phones_fts, rowid, digits)
                VALUES ('delete', old.id, old.digits);
        END;
        CREATE TRIGGER customer_phones_fts_update AFTER UPDATE OF digits ON customer_phones
        BEGIN
            INSERT INTO customer_phones_fts(customer_phones_fts, rowid, digits)
                VALUES ('delete', old.id, old.digits);
            INSERT INTO customer_phones_fts(rowid, digits) VALUES (new.id, new.digits);
        END;
        INSERT INTO customer_phones_fts(customer_phones_fts) VALUES ('rebuild');
        CREATE INDEX customer_tags_tag_nocase ON customer_tags(tag COLLATE NOCASE, customer_id);
        """,
    )


# On PostgreSQL (crmcli/postgres_schema.py): pg_trgm indexes the digits directly, and
# tags are matched without case through lower(tag).
POSTGRESQL = """
CREATE INDEX customer_phones_digits_trigram ON customer_phones USING gin (digits gin_trgm_ops);
CREATE INDEX customer_tags_tag_nocase ON customer_tags (lower(tag), customer_id);
"""
