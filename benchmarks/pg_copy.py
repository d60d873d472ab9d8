"""Bulk load on PostgreSQL: `Engine.copy_rows` against `psql \\copy` of the same CSV.

    .venv/bin/python benchmarks/pg_copy.py --url 'postgresql:///postgres?host=…' [--lines 1000000]

The URL is an administrator's (it creates and drops a database of its own,
`crmcli_bench_copy_<pid>_<random>`, or `--database NAME`, which must not exist yet).
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

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg_bench

COLUMNS = ["id", "customer_id", "date", "amount_micros", "quantity", "order_id", "line_no"]
COLUMNS += ["item", "category", "created_at"]
BARE = """CREATE TABLE bare_purchases (
    id bigint, customer_id bigint, date text, amount_micros bigint, quantity numeric,
    order_id text, line_no bigint, item text, category text, created_at text)"""


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        for line in pg_bench.lines(count):
            out.writerow(
                [line.n, line.customer, line.day, line.amount_micros,
                 "" if line.quantity is None else line.quantity, line.order_id,
                 line.n % 3 + 1, line.item, line.category, "2025-12-31T00:00:00"]
            )  # fmt: skip


def typed_rows(path: Path) -> Iterator[list[Any]]:
    """The CSV's lines as an import hands them over: ints as ints, empty as NULL."""
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.reader(f):
            yield [int(r[0]), int(r[1]), r[2], int(r[3]), int(r[4]) if r[4] else None, r[5],
                   int(r[6]), r[7], r[8], r[9]]  # fmt: skip


def main() -> None:
    with pg_bench.set_up(__doc__, "copy", write_csv, bare_table=BARE) as setup:
        args, engine = setup.args, setup.engine

        def load(table: str, *, bulk: bool = False) -> None:
            with engine.write():
                if bulk:
                    with engine.bulk_loading([table]):
                        loaded = engine.copy_rows(table, COLUMNS, typed_rows(setup.data))
                else:
                    loaded = engine.copy_rows(table, COLUMNS, typed_rows(setup.data))
            assert loaded == args.lines, loaded

        timings = pg_bench.interleaved(
            args.rounds,
            {
                "psql": lambda: pg_bench.psql_copy(
                    setup.url, "bare_purchases", COLUMNS, setup.data, header=False
                ),
                "bare": lambda: load("bare_purchases"),
                "purchases": lambda: load("purchases"),
                "bulk": lambda: load("purchases", bulk=True),
            },
            reset=setup.emptied("purchases"),
        )
    pg_bench.print_table(
        f"{args.lines:,} purchase lines",
        timings,
        {
            "psql": "`psql \\copy` into a bare table",
            "bare": "`copy_rows` into the same bare table",
            "purchases": "`copy_rows` into crmcli's `purchases` (keys, indexes, FKs)",
            "bulk": "the same inside `bulk_loading` (indexes, FKs rebuilt after; `db copy`)",
        },
    )


if __name__ == "__main__":
    main()
