"""Bulk load on PostgreSQL: `Engine.copy_rows` against `psql \\copy` of the same CSV.

    .venv/bin/python benchmarks/pg_copy.py --url 'postgresql:///postgres?host=…' [--lines 1000000]

The URL is an administrator's (it creates and drops the database `crmcli_bench_copy`).
One CSV of purchase lines in crmcli's own column layout is written once; then, in
each round, interleaved: `psql \\copy` into a bare table (no key, no index, no foreign
key: the floor), `copy_rows` into the same bare table (the helper's own cost: reading
the CSV in Python, typed values, COPY FROM STDIN), `copy_rows` into crmcli's
`purchases` (its keys, indexes and foreign keys kept up row by row, as an import into
a table in use pays them), and the same inside `bulk_loading` (indexes and foreign keys
set aside and rebuilt once, as `db copy` fills an empty database). Markdown on stdout,
progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from crmcli.db import open_db
from crmcli.db_url import PostgresUrl

DATABASE = "crmcli_bench_copy"
CUSTOMERS = 10_000
COLUMNS = ["id", "customer_id", "date", "amount_micros", "quantity", "order_id", "line_no"]
COLUMNS += ["item", "category", "created_at"]
BARE = """CREATE TABLE bare_purchases (
    id bigint, customer_id bigint, date text, amount_micros bigint, quantity numeric,
    order_id text, line_no bigint, item text, category text, created_at text)"""


def write_csv(path: Path, lines: int) -> None:
    rng = random.Random(16)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        for i in range(1, lines + 1):
            amount = int(rng.lognormvariate(10, 1.2)) * 10_000
            day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            quantity = "" if rng.random() < 0.5 else rng.randint(1, 4)
            out.writerow(
                [i, rng.randint(1, CUSTOMERS), day, -amount if rng.random() < 0.02 else amount,
                 quantity, f"O{i // 3}", i % 3 + 1, f"item {rng.randint(1, 1800)}",
                 f"cat {rng.randint(1, 7)}", "2025-12-31T00:00:00"]
            )  # fmt: skip


def typed_rows(path: Path) -> Iterator[list[Any]]:
    """The CSV's lines as an import hands them over: ints as ints, empty as NULL."""
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.reader(f):
            yield [int(r[0]), int(r[1]), r[2], int(r[3]), int(r[4]) if r[4] else None, r[5],
                   int(r[6]), r[7], r[8], r[9]]  # fmt: skip


def url_for(admin: str, database: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(admin)
    params["dbname"] = database
    return psycopg.conninfo.make_conninfo(**params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="an administrator's URL on the server")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    psql = shutil.which("psql")
    if psql is None:
        sys.exit("psql is needed (Debian: apt-get install postgresql-client)")
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    url = url_for(args.url, DATABASE)
    folder = Path(tempfile.mkdtemp(prefix="crmcli-bench-copy-"))
    try:
        data = folder / "purchases.csv"
        print(f"writing {args.lines:,} lines to {data}", file=sys.stderr)
        write_csv(data, args.lines)
        engine = open_db(PostgresUrl(url))
        engine.execute(BARE)
        with engine.write():
            engine.copy_rows(
                "customers",
                ["id", "name", "search_key", "created_at", "updated_at"],
                ((i, f"C{i}", f"c{i}", "t", "t") for i in range(1, CUSTOMERS + 1)),
            )
            engine.advance_ids("customers")
        timings: dict[str, list[float]] = {"psql": [], "bare": [], "purchases": [], "bulk": []}
        for round_no in range(args.rounds):
            for name in timings:  # interleaved: each round runs all three, in turn
                engine.execute("TRUNCATE bare_purchases")
                engine.execute("TRUNCATE purchases CASCADE")
                engine.execute("VACUUM ANALYZE")
                print(f"round {round_no + 1}: {name}", file=sys.stderr)
                started = time.perf_counter()
                if name == "psql":
                    subprocess.run(
                        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                         f"\\copy bare_purchases ({', '.join(COLUMNS)}) FROM '{data}' CSV"],
                        check=True,
                    )  # fmt: skip
                else:
                    table = "bare_purchases" if name == "bare" else "purchases"
                    with engine.write():
                        if name == "bulk":
                            with engine.bulk_loading([table]):
                                loaded = engine.copy_rows(table, COLUMNS, typed_rows(data))
                        else:
                            loaded = engine.copy_rows(table, COLUMNS, typed_rows(data))
                    assert loaded == args.lines, loaded
                timings[name].append(time.perf_counter() - started)
        engine.close()
    finally:
        shutil.rmtree(folder)
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    floor = min(timings["psql"])
    print(f"| {args.lines:,} purchase lines | best of {args.rounds} | × psql \\copy |")
    print("| --- | ---: | ---: |")
    labels = {
        "psql": "`psql \\copy` into a bare table",
        "bare": "`copy_rows` into the same bare table",
        "purchases": "`copy_rows` into crmcli's `purchases` (keys, indexes, FKs)",
        "bulk": "the same inside `bulk_loading` (indexes, FKs rebuilt after; `db copy`)",
    }
    for name, runs in timings.items():
        best = min(runs)
        print(f"| {labels[name]} | {best:.2f} s | {best / floor:.2f} |")


if __name__ == "__main__":
    main()
