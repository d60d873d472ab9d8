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
a first load (its indexes are set aside and built once after). With `--existing N`,
`purchases` holds N other lines before each run (keys of their own, untimed): a file
smaller than the table is an import into a shop in use, which keeps the table's unique
line key, indexes and foreign keys up line by line rather than set them aside (the rule
in `journal.set_aside`). Markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pg_bench

from crmcli.db import open_db
from crmcli.db_url import PostgresUrl
from crmcli.imports.purchases import INDEX_UPKEEP, import_purchases

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


def existing_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--existing",
        type=pg_bench.count(least=0),
        default=0,
        help="lines already in purchases before each run (default 0: a first load)",
    )


def kept_up(lines: int, existing: int) -> bool:
    """Whether an import of `lines` into a table of `existing` keeps its indexes up (as
    `journal.set_aside` decides from the file's estimated size) rather than set them aside."""
    return lines < INDEX_UPKEEP.min_rows or lines < INDEX_UPKEEP.share * existing


def main() -> None:
    with pg_bench.set_up(
        __doc__, "import", write_csv, bare_table=BARE, options=existing_option
    ) as setup:
        args, engine = setup.args, setup.engine
        empty = setup.emptied("purchases, import_changes, imports")

        def reset() -> None:
            empty()
            if args.existing:
                # Keys no line of the file has ('E:n'), on the customers the file names.
                engine.execute(
                    "INSERT INTO purchases (customer_id, date, amount_micros, line_key,"
                    " created_at) SELECT 1 + g % ?, '2024-06-30', 1000000, 'E:' || g, 't'"
                    " FROM generate_series(1, ?) g",
                    [pg_bench.CUSTOMERS, args.existing],
                )
                engine.execute("VACUUM ANALYZE purchases")

        def run_import() -> None:
            with open_db(PostgresUrl(setup.url)) as db:
                result = import_purchases(db, setup.data)
            assert result.counts.added == args.lines, result.counts
            stored = engine.execute("SELECT count(*) FROM purchases").fetchone()[0]
            assert stored == args.existing + args.lines, stored

        timings = pg_bench.interleaved(
            args.rounds,
            {
                "psql": lambda: pg_bench.psql_copy(
                    setup.url, "bare_purchases", HEADER, setup.data, header=True
                ),
                "import": run_import,
            },
            reset=reset,
        )
    into = f" into {args.existing:,} stored" if args.existing else ""
    how = "keys and indexes kept up" if kept_up(args.lines, args.existing) else "indexes set aside"
    what = "a shop in use" if args.existing else "first load"
    pg_bench.print_table(
        f"{args.lines:,} purchase lines on PostgreSQL{into}",
        timings,
        {
            "psql": "`psql \\copy` into a bare table",
            "import": f"`purchases import` ({what}: {how})",
        },
    )


if __name__ == "__main__":
    main()
