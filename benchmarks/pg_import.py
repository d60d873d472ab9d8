"""`purchases import` on PostgreSQL against `psql \\copy` of the same file (issue 16 item 5).

    .venv/bin/python benchmarks/pg_import.py --url 'postgresql:///postgres?host=…' [--lines 1000000]

The URL is an administrator's (it creates and drops the database `crmcli_bench_import`,
or `--database NAME`).
One CSV of purchase lines as a shop exports them (customer code, date, amount, quantity,
order id, item, category) is written once, for 10,000 customers already in the
database; then, in each round, interleaved: `psql \\copy` of that file into a bare
table (text and numeric columns, no key, no index: the floor), and `import_purchases`
of it (what `crmcli purchases import` runs: reading, checking every value, customer
codes resolved, line keys, COPY into the staging table, the set-based insert into
`purchases` with its keys, indexes and foreign keys, the import journal, one
transaction). Before each run `purchases` and `imports` are emptied, so the import is
a first load (its indexes are set aside and built once after). Markdown on stdout,
progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import pg_bench

from crmcli.db import open_db
from crmcli.db_url import PostgresUrl
from crmcli.imports.purchases import import_purchases

HEADER = ["customer", "date", "amount", "quantity", "order_id", "item", "category"]
BARE = """CREATE TABLE bare_purchases (
    customer text, date text, amount numeric, quantity numeric, order_id text,
    item text, category text)"""


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for line in pg_bench.lines(count, returns=False):
            out.writerow(
                [f"C{line.customer}", line.day, f"{line.amount_micros / 1_000_000:.2f}",
                 "" if line.quantity is None else line.quantity, line.order_id, line.item,
                 line.category]
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="an administrator's URL on the server")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--database", default="crmcli_bench_import", help="the scratch database's name"
    )
    args = parser.parse_args()
    pg_bench.psql_program()
    with (
        pg_bench.scratch_database(args.url, args.database) as url,
        pg_bench.scratch_folder("crmcli-bench-import-") as folder,
    ):
        data = folder / "purchases.csv"
        print(f"writing {args.lines:,} lines to {data}", file=sys.stderr)
        write_csv(data, args.lines)
        engine = pg_bench.open_with_customers(url, bare_table=BARE)

        def reset() -> None:
            engine.execute("TRUNCATE bare_purchases")
            engine.execute("TRUNCATE purchases, import_changes, imports CASCADE")
            engine.execute("VACUUM ANALYZE")

        def run_import() -> None:
            with open_db(PostgresUrl(url)) as db:
                result = import_purchases(db, data)
            assert result.counts.added == args.lines, result.counts
            stored = engine.execute("SELECT count(*) FROM purchases").fetchone()[0]
            assert stored == args.lines, stored

        timings = pg_bench.interleaved(
            args.rounds,
            {
                "psql": lambda: pg_bench.psql_copy(
                    url, "bare_purchases", HEADER, data, header=True
                ),
                "import": run_import,
            },
            reset=reset,
        )
        engine.close()
    pg_bench.print_table(
        f"{args.lines:,} purchase lines on PostgreSQL",
        timings,
        {
            "psql": "`psql \\copy` into a bare table",
            "import": "`purchases import` (first load: indexes set aside)",
        },
    )


if __name__ == "__main__":
    main()
