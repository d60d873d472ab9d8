"""On PostgreSQL, complaint history cannot be emptied by TRUNCATE either.

The append-only guard (m050's rule, the server's `complaint_events_append_only`) is a
row trigger: it refuses every DELETE, but a server's TRUNCATE removes rows without
firing row triggers, so `TRUNCATE complaint_events` — or `TRUNCATE complaints
CASCADE`, `TRUNCATE customers CASCADE`, `TRUNCATE purchases CASCADE`, which reach it
through the references — wiped the history that SQLite never lets go (SQLite has no
TRUNCATE: emptying a table is a DELETE, refused row by row). A statement trigger now
refuses a TRUNCATE that would take any history away, with the guard's own words; an
empty history may still be truncated (a benchmark's reset, a test's), nothing is lost.

SQLite: its only way to empty the table is DELETE, refused already.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    """SQLite has no TRUNCATE; DELETE is refused by the append-only triggers."""


POSTGRESQL = """
CREATE FUNCTION crmcli_complaint_events_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM complaint_events) THEN
        RAISE EXCEPTION 'complaint history is append-only' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER complaint_events_never_truncated BEFORE TRUNCATE ON complaint_events
    FOR EACH STATEMENT EXECUTE FUNCTION crmcli_complaint_events_kept();
"""
