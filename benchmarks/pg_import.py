"""`purchases import` on PostgreSQL against `psql \\copy` of the same file (issue 16 item 5).

    .venv/bin/python benchmarks/pg_import.py --url 'postgresql:///postgres?host=…' [--lines 1000000]

The URL is an administrator's (it creates and drops the database `crmcli_bench_import`).
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
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from crmcli.db import open_db
from crmcli.db_url import PostgresUrl
from crmcli.imports.purchases import import_purchases

DATABASE = "crmcli_bench_import"
CUSTOMERS = 10_000
HEADER = ["customer", "date", "amount", "quantity", "order_id", "item", "category"]
BARE = """CREATE TABLE bare_purchases (
    customer text, date text, amount numeric, quantity numeric, order_id text,
    item text, category text)"""


def write_csv(path: Path, lines: int) -> None:
    rng = random.Random(16)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(1, lines + 1):
            amount = int(rng.lognormvariate(10, 1.2)) / 100
            day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            quantity = "" if rng.random() < 0.5 else rng.randint(1, 4)
            out.writerow(
                [f"C{rng.randint(1, CUSTOMERS)}", day, f"{amount:.2f}", quantity, f"O{i // 3}",
                 f"item {rng.randint(1, 1800)}", f"cat {rng.randint(1, 7)}"]
            )  # fmt: skip


def url_for(admin: str, database: str) -> str:
    """The admin's URL with another database in it (a URL: what `--db` takes)."""
    base, question, query = admin.partition("?")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{database}{question}{query}"


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
    folder = Path(tempfile.mkdtemp(prefix="crmcli-bench-import-"))
    timings: dict[str, list[float]] = {"psql": [], "import": []}
    try:
        data = folder / "purchases.csv"
        print(f"writing {args.lines:,} lines to {data}", file=sys.stderr)
        write_csv(data, args.lines)
        engine = open_db(PostgresUrl(url))
        engine.execute(BARE)
        with engine.write():
            engine.copy_rows(
                "customers",
                ["id", "code", "name", "search_key", "created_at", "updated_at"],
                ((i, f"C{i}", f"C{i}", f"c{i}", "t", "t") for i in range(1, CUSTOMERS + 1)),
            )
            engine.advance_ids("customers")
        for round_no in range(args.rounds):
            for name in timings:  # interleaved: each round runs both, in turn
                engine.execute("TRUNCATE bare_purchases")
                engine.execute("TRUNCATE purchases, import_changes, imports CASCADE")
                engine.execute("VACUUM ANALYZE")
                print(f"round {round_no + 1}: {name}", file=sys.stderr)
                started = time.perf_counter()
                if name == "psql":
                    subprocess.run(
                        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                         f"\\copy bare_purchases ({', '.join(HEADER)}) FROM '{data}' CSV HEADER"],
                        check=True,
                    )  # fmt: skip
                else:
                    with open_db(PostgresUrl(url)) as db:
                        result = import_purchases(db, data)
                    assert result.counts.added == args.lines, result.counts
                timings[name].append(time.perf_counter() - started)
            stored = engine.execute("SELECT count(*) FROM purchases").fetchone()[0]
            assert stored == args.lines, stored
        engine.close()
    finally:
        shutil.rmtree(folder)
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    floor = min(timings["psql"])
    print(
        f"| {args.lines:,} purchase lines on PostgreSQL | best of {args.rounds} | × psql \\copy |"
    )
    print("| --- | ---: | ---: |")
    labels = {
        "psql": "`psql \\copy` into a bare table",
        "import": "`purchases import` (first load: indexes set aside)",
    }
    for name, runs in timings.items():
        best = min(runs)
        print(f"| {labels[name]} | {best:.2f} s | {best / floor:.2f} |")


if __name__ == "__main__":
    main()
