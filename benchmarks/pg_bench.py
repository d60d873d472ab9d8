"""What the PostgreSQL benchmarks share: their options and start (`set_up`), a scratch
database, psql's `\\copy` as the floor, random purchase lines, customers to point them
at, the reset before each run, interleaved rounds and the table.

`pg_copy.py` (the bulk-load helper) and `pg_import.py` (`purchases import`) each time
crmcli against `psql \\copy` of the same file, in the same run: what differs between
them is only the file's layout and what runs against psql.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import server

from crmcli.db import open_db
from crmcli.db_url import PostgresUrl
from crmcli.engines import Engine

CUSTOMERS = 10_000  # customers the lines point at (codes C1 … C10000)


def psql_program() -> str:
    """psql's path, or exit saying how to install it."""
    psql = shutil.which("psql")
    if psql is None:
        sys.exit("psql is needed (Debian: apt-get install postgresql-client)")
    return psql


def psql_copy(url: str, table: str, columns: list[str], data: Path, *, header: bool) -> None:
    """`psql \\copy` of the CSV `data` into `table`: the floor every run is measured by."""
    options = "CSV HEADER" if header else "CSV"
    subprocess.run(
        [psql_program(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
         f"\\copy {table} ({', '.join(columns)}) FROM '{data}' {options}"],
        check=True,
    )  # fmt: skip


@contextlib.contextmanager
def scratch_database(admin: str, name: str) -> Iterator[str]:
    """A new database `name` on the server of the administrator's URL `admin`, dropped
    after, also on Ctrl-C, SIGTERM or SIGHUP: its connection string, which `--db` and
    psql take too. A database of that name already there is refused, never dropped: it
    may be another run's."""
    made = False
    with server.dropping_on_signals():
        try:
            # Signals held: made says whether the database is there, whenever one comes.
            with server.signals_held(), psycopg.connect(admin, autocommit=True) as conn:
                try:
                    conn.execute(f'CREATE DATABASE "{name}"')
                    made = True
                except psycopg.errors.DuplicateDatabase:
                    sys.exit(f"database {name} is already on the server: give another --database")
            yield server.database_url(admin, name)
        finally:
            if made:
                with server.signals_held(), psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@dataclass(frozen=True)
class Line:
    """One random purchase line, before a script writes it in its file's layout."""

    n: int  # 1, 2, 3…: the line's number in the file
    customer: int  # 1 … CUSTOMERS
    day: str
    amount_micros: int  # negative for ~2 % of lines (a return)
    quantity: int | None
    order_id: str
    item: str
    category: str


def lines(count: int, *, returns: bool = True) -> Iterator[Line]:
    """`count` lines, the same ones every run (seeded)."""
    rng = random.Random(16)
    for n in range(1, count + 1):
        amount = int(rng.lognormvariate(10, 1.2)) * 10_000
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        quantity = None if rng.random() < 0.5 else rng.randint(1, 4)
        customer = rng.randint(1, CUSTOMERS)
        if returns and rng.random() < 0.02:
            amount = -amount
        yield Line(n, customer, day, amount, quantity, f"O{n // 3}",
                   f"item {rng.randint(1, 1800)}", f"cat {rng.randint(1, 7)}")  # fmt: skip


def open_with_customers(url: str, *, bare_table: str) -> Engine:
    """crmcli's database at `url`, migrated, with `bare_table` made (psql's target: no
    key, index or foreign key) and CUSTOMERS customers coded C1, C2…"""
    engine = open_db(PostgresUrl(url))
    engine.execute(bare_table)
    with engine.write():
        engine.copy_rows(
            "customers",
            ["id", "code", "name", "search_key", "created_at", "updated_at"],
            ((i, f"C{i}", f"C{i}", f"c{i}", "t", "t") for i in range(1, CUSTOMERS + 1)),
        )
        engine.advance_ids("customers")
    return engine


@dataclass(frozen=True)
class Setup:
    """What a benchmark's rounds run on: its options, the scratch database's connection
    string, the CSV written once, and crmcli's engine on that database."""

    args: argparse.Namespace
    url: str
    data: Path
    engine: Engine

    def emptied(self, tables: str) -> Callable[[], None]:
        """The reset before each run: psql's bare table and crmcli's `tables` emptied,
        then analyzed, so every run starts from the same state."""

        def reset() -> None:
            self.engine.execute("TRUNCATE bare_purchases")
            self.engine.execute(f"TRUNCATE {tables} CASCADE")
            self.engine.execute("VACUUM ANALYZE")

        return reset


def count(*, least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `least` (a usage error otherwise,
    before any database is made)."""

    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is less than {least}")
        return value

    return read


@contextlib.contextmanager
def set_up(
    doc: str,
    name: str,
    write_csv: Callable[[Path, int], None],
    *,
    bare_table: str,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> Iterator[Setup]:
    """The start every script here shares: `--url`, `--lines`, `--rounds`, `--database`
    (default `crmcli_bench_NAME_<pid>_<random>`: two runs on one server never share it)
    and the script's own `options` read from the command line; psql checked; a scratch
    database and folder; `write_csv(path, lines)` run once; CUSTOMERS customers."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if options is not None:
        options(parser)
    parser.add_argument("--url", required=True, help="an administrator's URL on the server")
    parser.add_argument("--lines", type=count(least=1), default=1_000_000)
    parser.add_argument("--rounds", type=count(least=1), default=1)
    parser.add_argument(
        "--database",
        default=server.own_prefix(f"crmcli_bench_{name}"),
        help="the scratch database's name (default: crmcli_bench_NAME_<pid>_<random>, "
        "this run's own); one already there is refused",
    )
    args = parser.parse_args()
    psql_program()
    with (
        scratch_database(args.url, args.database) as url,
        scratch_folder(f"crmcli-bench-{name}-") as folder,
    ):
        data = folder / "purchases.csv"
        print(f"writing {args.lines:,} lines to {data}", file=sys.stderr)
        write_csv(data, args.lines)
        engine = open_with_customers(url, bare_table=bare_table)
        try:
            yield Setup(args, url, data, engine)
        finally:
            engine.close()


def interleaved(
    rounds: int, runs: dict[str, Callable[[], None]], *, reset: Callable[[], None]
) -> dict[str, list[float]]:
    """Each round runs every one of `runs` in turn, after `reset`: their seconds.

    Interleaved, so a loaded minute of a shared machine falls on all of them alike.
    """
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for round_no in range(rounds):
        for name, run in runs.items():
            reset()
            print(f"round {round_no + 1}: {name}", file=sys.stderr)
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    return timings


def print_table(title: str, timings: dict[str, list[float]], labels: dict[str, str]) -> None:
    """Markdown: each run's best time and its ratio to the first (psql's)."""
    rounds = len(next(iter(timings.values())))
    floor = min(next(iter(timings.values())))
    print(f"| {title} | best of {rounds} | × psql \\copy |")
    print("| --- | ---: | ---: |")
    for name, runs in timings.items():
        best = min(runs)
        print(f"| {labels[name]} | {best:.2f} s | {best / floor:.2f} |")
