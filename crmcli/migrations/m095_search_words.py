"""A word index beside the trigram one: one- and two-letter queries (민준) use it.

Trigrams need three characters, so a two-syllable Korean given name was found by
reading every customer. Words of the same search document, with prefix indexes
of one and two characters, find it at the start of any word. The documents
themselves are rebuilt after this migration (see REBUILDS).
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(
        db,
        """
        CREATE VIRTUAL TABLE customers_words USING fts5(
            search_key, content='customers', content_rowid='id',
            tokenize='unicode61 remove_diacritics 0', prefix='1 2'
        );
        CREATE TRIGGER customers_words_insert AFTER INSERT ON customers BEGIN
            INSERT INTO customers_words(rowid, search_key) VALUES (new.id, new.search_key);
        END;
        CREATE TRIGGER customers_words_delete AFTER DELETE ON customers BEGIN
            INSERT INTO customers_words(customers_words, rowid, search_key)
                VALUES ('delete', old.id, old.search_key);
        END;
        CREATE TRIGGER customers_words_update AFTER UPDATE OF search_key ON customers BEGIN
            INSERT INTO customers_words(customers_words, rowid, search_key)
                VALUES ('delete', old.id, old.search_key);
            INSERT INTO customers_words(rowid, search_key) VALUES (new.id, new.search_key);
        END;
        INSERT INTO customers_words(customers_words) VALUES ('rebuild');
        """,
    )
