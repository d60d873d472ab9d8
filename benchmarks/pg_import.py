"""`purchases import` on PostgreSQL against `psql \\copy` of the same file (issue 16 item 5).

    .venv/bin/python benchmarks/pg_import.py --url 'postgresql:///postgres?host=…' [--lines 1000000]

The URL is an administrator's (it creates and drops a database of its own,
`crmcli_bench_import_<pid>_<random>`, or `--database NAME`, which must not exist yet).
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

import csv
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
    with pg_bench.set_up(__doc__, "import", write_csv, bare_table=BARE) as setup:
        args, engine = setup.args, setup.engine

        def run_import() -> None:
            with open_db(PostgresUrl(setup.url)) as db:
                result = import_purchases(db, setup.data)
            assert result.counts.added == args.lines, result.counts
            stored = engine.execute("SELECT count(*) FROM purchases").fetchone()[0]
            assert stored == args.lines, stored

        timings = pg_bench.interleaved(
            args.rounds,
            {
                "psql": lambda: pg_bench.psql_copy(
                    setup.url, "bare_purchases", HEADER, setup.data, header=True
                ),
                "import": run_import,
            },
            reset=setup.emptied("purchases, import_changes, imports"),
        )
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
