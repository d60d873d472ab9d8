"""A CHECK that lists a column's values is written as comparisons, the same rule.

SQLite (3.40, what Python links to here) tests `tier IN ('A', 'B', 'C')` in a CHECK by
building a temporary index of the list for every row written: the statement's
run-once guard does not cover a constraint, so each row opens (and clears) an
ephemeral table and inserts the values into it. Writing 100,000 rows into a table so
checked took 88 ms against 44 with `tier = 'A' OR tier = 'B' OR tier = 'C'` (40 with
no check), NULL values alike. `tiers classify` writes a row per customer into
`tier_assignments`: ~45 ms of 0.53 s at 100k customers, a tenth of its instructions;
a customers import pays it twice per customer (`attitude`, `tier_override`) and once
per change it records.

The comparisons say the same: a CHECK refuses only what is false, and NULL passes both
forms; `=` uses the column's collation and affinity as IN does. Only the constraint's
words change, no stored row moves (every row already satisfies them), so the table's
SQL is rewritten in place, by SQLite's own procedure for such a change ("Making Other
Kinds Of Table Schema Changes", sqlite.org/lang_altertable.html): in the migration's
transaction, under writable_schema, the schema version raised by one so every
connection reads the schema again.

PostgreSQL tests a short IN list with no table: nothing changes there.
"""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database

# CHECK (column IN ('a', 'b', …)), the form crmcli's tables were created with (a long
# list over several lines).
LISTED = re.compile(r"CHECK \((\w+) IN\s*\(((?:\s*'[^']*',?)+)\)\)")


def comparisons(match: re.Match[str]) -> str:
    column, values = match[1], re.findall(r"'[^']*'", match[2])
    return "CHECK (" + " OR ".join(f"{column} = {value}" for value in values) + ")"


def migrate(db: Database) -> None:
    tables = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK (% IN%'"
    ).fetchall()
    changed = [(name, LISTED.sub(comparisons, sql)) for name, sql in tables if LISTED.search(sql)]
    if not changed:
        return
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("SAVEPOINT m134")
    db.execute("PRAGMA writable_schema = ON")
    try:
        for name, sql in changed:
            db.execute(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [sql, name]
            )
        db.execute(f"PRAGMA schema_version = {version + 1}")
    except sqlite3.OperationalError:
        # An SQLite built to refuse edits of its schema (SQLITE_DBCONFIG_DEFENSIVE) keeps
        # the lists: the same rule, checked more slowly; the file opens as before.
        db.execute("ROLLBACK TO m134")
    finally:
        db.execute("PRAGMA writable_schema = OFF")
        db.execute("RELEASE m134")


POSTGRESQL = """
-- PostgreSQL tests a CHECK's short IN list without building a table: nothing to change.
"""
