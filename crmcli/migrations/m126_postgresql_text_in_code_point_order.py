"""On PostgreSQL, text compares and sorts as on SQLite: by code point (`COLLATE "C"`).

SQLite compares text byte by byte (its BINARY collation: UTF-8 bytes in code point
order), whatever the machine. A PostgreSQL column takes its database's collation, which
its administrator chose: `en_US.UTF-8`, `ko_KR.UTF-8` or an ICU locale sort Hangul, Han
and Latin, upper and lower case, digits and punctuation each their own way. The same
`due` would then list two customers due the same day in another order on a server
than in a file (names break the tie), and every other list ordered or grouped by text
likewise. Every text column of crmcli's tables takes the collation "C" — code point
order on every server — so each command prints the same bytes on both engines. It
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
