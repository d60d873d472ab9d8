"""On PostgreSQL, the few SQLite functions crmcli's SQL uses, with SQLite's meaning.

crmcli's queries are written once, in the SQL both engines share; where SQLite has a
plain function PostgreSQL lacks, the server gets one of the same name and behaviour
rather than every query a second spelling: `julianday(text)`, `date(text, '±N days')`,
`instr`, the two-argument scalar `max`/`min` (NULL if either is NULL, as in SQLite),
the `group_concat` and `total` aggregates, and the `NOCASE` collation (case-insensitive
equality). tests/test_postgres_schema.py compares each with SQLite on the same values.

SQLite has them built in: nothing to do there.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    """SQLite's own functions: nothing to add."""


POSTGRESQL = r"""
CREATE FUNCTION julianday(x text) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN extract(epoch FROM x::timestamp)::double precision / 86400 + 2440587.5;

-- SQLite's date(X, MODIFIER) for the one modifier crmcli uses: 'N days', '+N days', '-N days'.
CREATE FUNCTION date(x text, modifier text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(
        x::date + replace(regexp_replace(modifier, '\s*days?\s*$', ''), '+', '')::integer,
        'YYYY-MM-DD'
    );

CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN strpos(haystack, needle);

CREATE FUNCTION instr(haystack text, needle bigint) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN strpos(haystack, needle::text);

CREATE FUNCTION max(a anycompatible, b anycompatible) RETURNS anycompatible
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END $$;

CREATE FUNCTION min(a anycompatible, b anycompatible) RETURNS anycompatible
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE least(a, b) END $$;

CREATE FUNCTION crmcli_group_concat(acc text, x text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN x IS NULL THEN acc WHEN acc IS NULL THEN x ELSE acc || ',' || x END;

CREATE AGGREGATE group_concat(text) (SFUNC = crmcli_group_concat, STYPE = text);

-- total(): a float sum, 0.0 over no rows (sum() is NULL there), never overflowing.
CREATE AGGREGATE total(double precision) (
    SFUNC = float8pl, STYPE = double precision, INITCOND = '0'
);

CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
"""
