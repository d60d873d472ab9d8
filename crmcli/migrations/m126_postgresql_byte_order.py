"""On PostgreSQL, text sorts and compares as SQLite's does: by code point (COLLATE "C").

SQLite orders text by its bytes (UTF-8 keeps code-point order); a PostgreSQL database
orders it by the locale it was created with, which `createdb crm` takes from the
server (en_US.UTF-8, an ICU locale…). There `ORDER BY tag` gave a customer's tags as
`a, A, b, B` where a file gives `A, B, a, b`, and every list ordered by a name or an
item came out in another order than on SQLite. Every text column of crmcli's tables
gets the "C" collation, whatever the database's: the same order, and the same
`lower()` (A-Z only, as SQLite's), on both engines. A text column a later migration
adds says `COLLATE "C"` itself (tests/test_postgres_schema.py checks every one).

No table is rewritten (the type stays text); the indexes over those columns are rebuilt.
SQLite already sorts this way: nothing to do there.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    """SQLite sorts text by code point already: nothing to do."""


POSTGRESQL = r"""
DO $$
DECLARE
    t text;
    alters text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'agenda_runs', 'complaint_events', 'complaints', 'contacts', 'customer_dates',
        'customer_merges', 'customer_phones', 'customer_relations', 'customer_tags',
        'customers', 'followups', 'holiday_cache', 'import_changes', 'import_profiles',
        'imports', 'item_launches', 'purchases', 'settings', 'templates',
        'tier_assignments', 'tier_runs', 'visit_plans', 'visit_results'
    ] LOOP
        -- one ALTER TABLE per table: its indexes are rebuilt once, not once per column
        SELECT string_agg(
                   format('ALTER COLUMN %I TYPE text COLLATE "C"', column_name), ', '
                   ORDER BY ordinal_position)
          INTO alters
          FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = t AND data_type = 'text';
        IF alters IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I ', t) || alters;
        END IF;
    END LOOP;
END
$$;
"""
