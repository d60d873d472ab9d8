"""Build a benchmark database straight from the generated CSV files, fast.

    python benchmarks/load.py DIR DB

The database is crmcli's own: opened with `crmcli.db.open_db` (so the schema,
indexes and search triggers are the real ones), names split and folded, phones
normalised and birthdays parsed by crmcli's own functions. What it skips is the
import machinery (header recognition, duplicate matching, the import log): this
is how the query benchmarks (`tiers classify`, `due`, `search`, `show`) get the
same database at every size whether or not `customers import` exists yet, and
without timing it. It also adds what no CSV carries: open follow-ups for about
2 % of the customers and logged contacts for about 10 %, spread around the
benchmark's as-of date, so `due` has follow-ups and visits to find.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from crmcli import customers, dates, money, names, phones, settings
from crmcli.db import open_db

DATA_VERSION = 1  # bump when the database built changes, so run.py rebuilds its cache
AS_OF = date(2025, 12, 1)  # the benchmark's "today": the last month of the generated data
BATCH = 20_000


def _batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _customer_rows(path: Path, region: str, now: str) -> Iterator[tuple[dict[str, Any], ...]]:
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name = row["name"] or None
            parts = names.split_name(name) if name else names.NameParts()
            values: dict[str, Any] = {
                "code": row["code"],
                "name": name,
                "family_name": parts.family,
                "given_name": parts.given,
                "patronymic": parts.patronymic,
                "email": row["email"] or None,
                "birthday": dates.parse_day(row["birthday"]) if row["birthday"] else None,
                "birthday_lunar": int(row["birthday_lunar"] == "lunar"),
                "owner": row["owner"] or None,
                "created_at": now,
                "updated_at": now,
            }
            values["search_key"] = customers._search_key(values)
            phone = phones.normalise(row["phone"], region) if row["phone"] else None
            tags = [t for t in row["tags"].split(";") if t]
            yield values, {"phone": phone, "tags": tags}


def load(data_dir: Path, db_path: Path, *, purchases: bool = True, seed: int = 7) -> None:
    """Create `db_path` (which must not exist) from `data_dir`'s customers and purchases.

    With `purchases` False: the customers only, and no follow-ups or contacts.
    """
    if db_path.exists():
        raise SystemExit(f"{db_path} exists; remove it first")
    db = open_db(db_path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")  # a scratch database: rebuilt if a load dies
    region = settings.get(db, "phone.region")
    now = dates.now_utc()
    ids: dict[str, int] = {}
    columns = None
    with db.write():
        for batch in _batches(_customer_rows(data_dir / "customers.csv", region, now)):
            if columns is None:
                columns = list(batch[0][0])
                insert = (
                    f"INSERT INTO customers ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
            phone_rows, tag_rows = [], []
            for values, more in batch:
                cursor = conn.execute(insert, [values[c] for c in columns])
                cid = int(cursor.lastrowid or 0)
                ids[values["code"]] = cid
                if (phone := more["phone"]) is not None:
                    phone_rows.append((cid, phone.raw, phone.e164, phone.digits))
                tag_rows.extend((cid, tag) for tag in more["tags"])
            conn.executemany(
                "INSERT INTO customer_phones (customer_id, position, raw, e164, digits)"
                " VALUES (?, 0, ?, ?, ?)",
                phone_rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?, ?)", tag_rows
            )
    if not purchases:
        db.close()
        return
    with db.write(), (data_dir / "purchases.csv").open(encoding="utf-8", newline="") as f:
        lines = (
            (
                ids[r["customer"]],
                r["date"],
                money.parse_amount(r["amount"]),
                int(r["quantity"]),
                r["order_id"],
                r["line_id"],
                int(r["line_id"].rsplit("-", 1)[1]),
                r["item"],
                r["category"],
                now,
            )
            for r in csv.DictReader(f)
        )
        for batch in _batches(lines):
            conn.executemany(
                "INSERT INTO purchases (customer_id, date, amount_micros, quantity, order_id,"
                " line_id, line_no, item, category, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
    _agenda(db, list(ids.values()), seed=seed, now=now)
    conn.execute("ANALYZE")
    db.close()


def _agenda(db: Any, customer_ids: list[int], *, seed: int, now: str) -> None:
    """Open follow-ups (~2 % of customers) and logged contacts (~10 %) around AS_OF."""
    rng = random.Random(f"agenda-{seed}")
    followups, contacts = [], []
    for cid in customer_ids:
        if rng.random() < 0.02:
            due = AS_OF + timedelta(days=rng.randrange(-30, 90))
            followups.append((cid, due.isoformat(), "call back about the order", now))
        if rng.random() < 0.10:
            at = AS_OF - timedelta(days=rng.randrange(1, 400))
            contacts.append((cid, f"{at.isoformat()}T10:00:00+00:00", "phone", "checked in"))
    with db.write():
        db.conn.executemany(
            "INSERT INTO followups (customer_id, due_on, note, created_at) VALUES (?, ?, ?, ?)",
            followups,
        )
        db.conn.executemany(
            "INSERT INTO contacts (customer_id, at, channel, note) VALUES (?, ?, ?, ?)", contacts
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="Directory with customers.csv, purchases.csv")
    parser.add_argument("db", type=Path, help="Database file to create.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    load(args.data_dir, args.db, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
