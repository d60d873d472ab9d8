"""On PostgreSQL, text compares and sorts as on SQLite: by code point (`COLLATE "C"`).

SQLite compares text byte by byte (its BINARY collation: UTF-8 bytes in code point
order), whatever the machine. A PostgreSQL column takes its database's collation, which
its administrator chose: `en_US.UTF-8`, `ko_KR.UTF-8` or an ICU locale sort Hangul, Han
and Latin, upper and lower case, digits and punctuation each their own way. The same
`due` would then list two customers due the same day in another order on a server
than in a file (names break the tie), and every other list ordered or grouped by text
likewise. Every text column of crmcli's tables (those it has at this migration; a later
one writes `text COLLATE "C"` itself) takes the collation "C" — code point order on
every server — so each command prints the same bytes on both engines. It
changes no equality (every collation here is deterministic: equal means the same
bytes), so no key or unique index refuses what it took before; the indexes on those
columns are rebuilt, once (28 s at 100k customers / 1M purchase lines, the tills
waiting meanwhile: BENCHMARKS.md).

SQLite's text is already compared so: nothing to do there.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    """SQLite's BINARY collation is code point order already."""


POSTGRESQL = r"""
DO $$
DECLARE col record;
BEGIN
    FOR col IN
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
           -- crmcli's tables only: a database adopted by `db migrate --adopt` keeps its
           -- other application's tables as they were
           AND c.relname = ANY (ARRAY[
               '_crmcli_migrations', 'agenda_runs', 'complaint_events', 'complaints',
               'contacts', 'customer_dates', 'customer_merges', 'customer_phones',
               'customer_relations', 'customer_tags', 'customers', 'followups',
               'holiday_cache', 'import_changes', 'import_profiles', 'imports',
               'item_launches', 'purchases', 'settings', 'templates', 'tier_assignments',
               'tier_runs', 'visit_plans', 'visit_results'])
           AND a.attnum > 0 AND NOT a.attisdropped
           AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
           AND a.attcollation <> 'pg_catalog."C"'::regcollation
         ORDER BY c.relname, a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE %s COLLATE "C"',
                       col.relname, col.attname, col.type);
    END LOOP;
END
$$;
"""
