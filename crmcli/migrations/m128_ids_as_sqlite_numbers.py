"""On PostgreSQL, a new row's id is the highest id + 1, as SQLite numbers it.

SQLite gives a new row the highest rowid + 1 at the moment it is written, inside the
writing transaction: a refused `customers add` or import (rolled back) leaves no
trace, and the next customer, purchase or "import #N" gets the number it would have
had. A PostgreSQL identity hands out numbers that a rollback never takes back, so
after a refusal the server's numbers ran ahead of a file's.

Here every table whose id is an identity gets a statement trigger: the first insert
of a transaction into the table (or the first after a savepoint rolled back) takes
the table's id lock, an advisory lock held to the end of the transaction, and sets the
identity to continue from the highest id stored. Inserting transactions take turns per
table, as SQLite's writers take turns per file (readers never wait), so no two
transactions can be handed the same number; rows keep the identity's speed within a
transaction (a bulk import is one statement). `crmcli_next_id(table)` is the same step
for code that numbers rows itself (a customer import gives its ids to batch the rows
hanging on them). A transaction that has to wait for the lock is sent a notice first
(SQLSTATE 01CRW), so the command can say it is waiting, as it does on SQLite.

SQLite: its own numbering, nothing to do.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    """SQLite numbers rows this way itself: nothing to add."""


POSTGRESQL = """
CREATE FUNCTION crmcli_next_id(t regclass) RETURNS bigint
    LANGUAGE plpgsql
AS $$
DECLARE
    top bigint;
    -- 'id' << 32 | the table's oid: one lock per table, apart from the migrators' key.
    key bigint := (x'6964'::bigint << 32) | t::oid::bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(key) THEN
        -- Told to the client while it waits (SQLSTATE 01CRW): crmcli says it is waiting.
        RAISE NOTICE USING
            MESSAGE = format('waiting for another transaction adding to %s', t),
            ERRCODE = '01CRW';
        PERFORM pg_advisory_xact_lock(key);
    END IF;
    -- Taken after the lock: a fresh snapshot, which sees the last holder's commit.
    EXECUTE format('SELECT coalesce(max(id), 0) FROM %s', t) INTO top;
    PERFORM setval(pg_get_serial_sequence(t::text, 'id'), top + 1, false);
    -- Once a transaction (a savepoint rolled back takes it back, and the gap with it).
    PERFORM set_config('crmcli.ids_' || t::oid, 'counted', true);
    RETURN top + 1;
END
$$;

CREATE FUNCTION crmcli_ids_from_the_highest() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF current_setting('crmcli.ids_' || TG_RELID, true) IS DISTINCT FROM 'counted' THEN
        PERFORM crmcli_next_id(TG_RELID::regclass);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'imports', 'customers', 'customer_phones', 'customer_dates', 'tier_runs',
        'purchases', 'complaints', 'complaint_events', 'followups', 'contacts',
        'agenda_runs', 'customer_merges', 'customer_relations', 'visit_plans',
        'import_changes'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I BEFORE INSERT ON %I FOR EACH STATEMENT'
            ' EXECUTE FUNCTION crmcli_ids_from_the_highest()',
            t || '_ids', t
        );
    END LOOP;
END
$$;
"""
