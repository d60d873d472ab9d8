"""A purchase line may have no customer: an anonymous sale (a walk-in, `NA` in the file).

SQLite cannot drop a NOT NULL in place, so `purchases` is rebuilt from its own
stored definition with only that constraint gone (columns added by other migrations
stay), every row copied with its id, and its indexes and triggers made again.
Dropping the old table while foreign keys are enforced would set every complaint's
`purchase_id` (and any other reference to a purchase) to NULL: those links are
saved first and put back.
"""

from __future__ import annotations

import re

from sqlite_utils import Database


def migrate(db: Database) -> None:
    sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'purchases'"
    ).fetchone()[0]
    new_sql, n = re.subn(r"(\bcustomer_id\s+INTEGER)\s+NOT\s+NULL", r"\1", sql, count=1, flags=re.I)
    if not n:
        return  # already nullable
    extras = db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'purchases'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    links: list[tuple[str, str, list[tuple[int, int]]]] = []
    for (table,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'purchases'"
        " AND sql LIKE '%purchases%'"
    ).fetchall():
        for fk in db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if fk[2] == "purchases":
                column = fk[3]
                rows = db.execute(
                    f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                ).fetchall()
                links.append((table, column, rows))
    db.execute(re.sub(r"^CREATE TABLE\s+\"?purchases\"?", "CREATE TABLE purchases_m075", new_sql))
    db.execute("INSERT INTO purchases_m075 SELECT * FROM purchases")
    # The drop deletes row by row, looking up each purchase's references: indexed, that
    # is a million lookups rather than a million scans of the complaints.
    for i, (table, column, _rows) in enumerate(links):
        db.execute(f'CREATE INDEX m075_link_{i} ON "{table}"("{column}")')
    db.execute("DROP TABLE purchases")
    for i in range(len(links)):
        db.execute(f"DROP INDEX m075_link_{i}")
    db.execute("ALTER TABLE purchases_m075 RENAME TO purchases")
    for (statement,) in extras:
        db.execute(statement)
    for table, column, rows in links:
        db.conn.executemany(
            f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', [(v, r) for r, v in rows]
        )
