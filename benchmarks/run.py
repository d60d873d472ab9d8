"""Time crmcli against the alternatives, each operation as a whole process.

    python benchmarks/run.py [--size 10k|30k|100k|300k|1m|small|medium|large[,…]] [--runs N]
                             [--engine sqlite|postgresql|both --pg-url URL]

For each size it generates the data once (cached under `benchmarks/.data/`), then
runs every operation `--runs` times as a separate process, crmcli and its
reference taking turns, and reports the median wall time, the min–max, the peak
resident memory (`ru_maxrss` from `os.wait4`) and the ratio crmcli / reference
measured in the same run. With several sizes it ends with a growth table.
`--engine postgresql` races the main operations on the same shop on SQLite and on a
PostgreSQL server instead (`server.py`; `--pg-url`, an administrator's URL, or
CRMCLI_BENCH_PG); `both` runs the two.
Operations crmcli does not have yet are listed as "not available yet", never timed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (a sibling script, not a package)
import load  # noqa: E402
import server  # noqa: E402

SIZES = {  # name: (customers, purchase lines); 1k is for CI, which only checks it runs
    "1k": (1_000, 10_000),
    "10k": (10_000, 100_000),
    "30k": (30_000, 300_000),
    "100k": (100_000, 1_000_000),
    "300k": (300_000, 3_000_000),
    "1m": (1_000_000, 10_000_000),
}
ALIASES = {"small": "10k", "medium": "100k", "large": "1m"}
CI_SIZE = "1k"  # .ci/run runs this size, so that the benchmark cannot rot
AS_OF = load.AS_OF.isoformat()
DUE_DAYS = 7
# sqlite-utils needs about a minute per million rows here: above this it runs once a size.
SLOW_REFERENCE_ROWS = 250_000
MEMORY_LIMIT_MB = 150
# Commands a person waits for at the counter (issue 17 item 4): at most this many
# seconds up to 100k customers, and at most the second figure above that.
INTERACTIVE_LIMITS = ((100_000, 0.15), (1_000_000, 0.3))
# Issue 17's other limits, by operation: (largest size in customers, seconds) and the
# operations whose peak memory is a target (every crmcli command over the limit is a miss).
TIME_LIMITS = {"due (every kind)": ((100_000, 1.0), (1_000_000, 3.0))}
MEMORY_TARGETS = ("purchases import", "due (every kind)")
# Issue 17 item 3: what a read command printing no table (piped) must never load.
READ_NEVER = ("sqlite_utils", "pluggy", "dateutil.parser", "rich")
READS_TARGET = "read commands, piped, load no " + ", ".join(READ_NEVER)
# Runs crmcli's entry point in this Python with the arguments given, then says on
# stderr, last, which modules the run loaded (tests/test_startup.py probes the same way).
LOADED_PROBE = """
import json, sys
sys.argv = ["crmcli", *sys.argv[1:]]
from crmcli.__main__ import main
status = 0
try:
    main()
except SystemExit as exc:
    status = exc.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _schema(db: Path, kind: str, table: str) -> list[tuple[str, str]]:
    """(name, sql) of `table`'s indexes or triggers written in the schema (not a key's)."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = ?"
            " AND sql IS NOT NULL ORDER BY name",
            [kind, table],
        ).fetchall()


def sql_floor(kind: str, csv_file: Path, template: Path) -> list[str]:
    """sqlite3 shell commands loading the file into crmcli's own tables in SQL alone, the
    way crmcli's bulk import does (purchases: secondary indexes set aside and built once;
    customers: search indexes built once, the customer indexes kept up for matching):
    what the schema costs before any validation. Not a target: the floor under one."""
    if kind == "purchases":
        indexes = _schema(template, "index", "purchases")
        return [
            f".import --csv {csv_file} staging",
            "BEGIN",
            *(f'DROP INDEX "{name}"' for name, _sql in indexes),
            "INSERT INTO purchases (customer_id, date, amount_micros, quantity, order_id,"
            " line_id, line_no, line_key, item, category, import_id, created_at)"
            " SELECT c.id, s.date, CAST(round(s.amount * 1000000) AS INTEGER), s.quantity,"
            " s.order_id, s.line_id,"
            " CAST(substr(s.line_id, instr(s.line_id, '-') + 1) AS INTEGER),"
            " 'L:' || s.line_id, s.item, s.category, NULL, datetime('now')"
            " FROM staging s JOIN customers c ON c.code = s.customer",
            *(sql for _name, sql in indexes),
            "DROP TABLE staging",
            "COMMIT",
        ]
    triggers = [
        (name, sql)
        for table in ("customers", "customer_phones")
        for name, sql in _schema(template, "trigger", table)
        if "_fts_" in name or "_words_" in name
    ]
    digits = "replace(replace(replace(s.phone, '-', ''), ' ', ''), '+', '')"
    # A search document of the usual size (crmcli's: folded name, without spaces, word
    # endings, code, e-mail; ~90 characters), so the trigram index gets as much text.
    document = (
        "lower(s.name) || ' | ' || replace(lower(s.name), ' ', '') || ' | '"
        " || substr(s.name, 2) || ' | ' || substr(s.name, 3) || ' | ' || lower(s.code)"
        " || coalesce(' | ' || nullif(lower(s.email), ''), '')"
    )
    return [
        f".import --csv {csv_file} staging",
        "BEGIN",
        *(f'DROP TRIGGER "{name}"' for name, _sql in triggers),
        "INSERT INTO imports (id, kind, file_name, sha256, started_at)"
        " VALUES (1, 'customers', 'customers.csv', '', datetime('now'))",
        "INSERT INTO customers (id, code, name, email, birthday, birthday_lunar, owner,"
        " locale, search_key, created_at, updated_at)"
        " SELECT s.rowid, s.code, s.name, nullif(s.email, ''), nullif(s.birthday, ''),"
        f" s.birthday_lunar <> '', nullif(s.owner, ''), 'ko', {document},"
        " datetime('now'), datetime('now') FROM staging s",
        "INSERT INTO customer_phones (customer_id, position, raw, e164, digits)"
        f" SELECT s.rowid, 0, s.phone, '+' || {digits}, {digits}"
        " FROM staging s WHERE s.phone <> ''",
        # The generated tags hold no quote or backslash: split on ';' as a JSON array.
        "INSERT INTO customer_tags (customer_id, tag) SELECT DISTINCT s.rowid, j.value"
        " FROM staging s, json_each('[\"' || replace(s.tags, ';', '\",\"') || '\"]') j"
        " WHERE s.tags <> ''",
        "INSERT INTO import_changes (import_id, table_name, row_id, action, after)"
        " SELECT 1, 'customers', rowid, 'insert', '{}' FROM staging",
        # As crmcli's bulk load fills them (`_fill_search_index`): in rowid order.
        *(
            f"INSERT INTO {fts}({fts}) VALUES('delete-all');"
            f" INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table} ORDER BY id"
            for fts, column, table in (
                ("customers_fts", "search_key", "customers"),
                ("customers_words", "search_key", "customers"),
                ("customer_phones_fts", "digits", "customer_phones"),
            )
        ),
        *(sql for _name, sql in triggers),
        "DROP TABLE staging",
        "COMMIT",
    ]


@dataclass(frozen=True)
class Target:
    """crmcli's median over the reference's median must be at most `ratio`."""

    ratio: float
    text: str


@dataclass
class Result:
    name: str
    command: str
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    # CPU seconds (user + system): on a machine others load, wall time waits on them;
    # a process's own CPU time hardly does.
    cpu: list[float] = field(default_factory=list)
    note: str = ""
    skipped: str = ""  # why it was not timed
    limit: float | None = None  # seconds the median must not exceed (an interactive command)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb) / 1024

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "command": self.command}
        if self.skipped:
            out["skipped"] = self.skipped
            return out
        out.update(
            median_s=round(self.median, 4),
            min_s=round(min(self.seconds), 4),
            max_s=round(max(self.seconds), 4),
            runs=len(self.seconds),
            peak_mb=round(self.peak_mb, 1),
            median_cpu_s=round(statistics.median(self.cpu), 4) if self.cpu else None,
        )
        if self.note:
            out["note"] = self.note
        if self.limit is not None:
            out["limit_s"] = self.limit
        return out


# (name, argv, untimed setup before each run, file for stdout)
Case = tuple[str, list[str], "Callable[[], object] | None", "Path | None"]


class Failed(RuntimeError):
    """A timed process exited with an error: the benchmark stops rather than report it."""


def timed(
    argv: Sequence[str], *, stdout: Path | None = None, cpu: list[float] | None = None
) -> tuple[float, int]:
    """Run `argv` to completion: (wall seconds, peak resident memory in KiB); its CPU
    seconds (user + system) are appended to `cpu` when given."""
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    err_path = scratch / f"crmcli-bench-{os.getpid()}.err"
    result_path = scratch / f"crmcli-bench-{os.getpid()}.result"
    program = shutil.which(argv[0]) or argv[0]
    launcher = [sys.executable, "-S", str(HERE / "spawn.py"), str(result_path)]
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    try:
        with err_path.open("wb") as err:
            subprocess.run(
                [*launcher, program, *argv[1:]],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                check=True,
            )
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    seconds, peak_kb, status, cpu_seconds = result_path.read_text().split()
    if int(status) != 0:
        message = err_path.read_text(errors="replace")[-2000:]
        raise Failed(f"{' '.join(argv)} exited {status}:\n{message}")
    err_path.unlink(missing_ok=True)
    result_path.unlink(missing_ok=True)
    if cpu is not None:
        cpu.append(float(cpu_seconds))
    return float(seconds), int(peak_kb)  # Linux reports KiB


class Bench:
    """One size's workspace: data files, databases, and the results timed so far."""

    def __init__(self, size: str, runs: int, work: Path, baseline: Path | None = None) -> None:
        self.size = size
        self.baseline = baseline  # another crmcli's source folder, raced for "before"
        self.customers, self.purchases = SIZES[size]
        self.runs = runs
        self.data = work / size
        self.scratch = work / size / "scratch"
        self.results: list[Result] = []
        self.comparisons: list[tuple[str, str, Target | None]] = []
        # Each read command probed for READ_NEVER: (command, what of it it loaded).
        self.loaded: list[tuple[str, list[str]]] = []
        # The venv's own scripts first: the crmcli and sqlite-utils this Python has.
        bin_dir = Path(sys.executable).parent
        crmcli, utils = bin_dir / "crmcli", bin_dir / "sqlite-utils"
        self.crmcli = [str(crmcli)] if crmcli.exists() else [sys.executable, "-m", "crmcli"]
        found = str(utils) if utils.exists() else shutil.which("sqlite-utils")
        self.sqlite_utils = [found] if found else None
        self.sqlite3 = shutil.which("sqlite3")
        self._available: dict[tuple[str, ...], bool] = {}

    # --- data -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Generate the CSV files and the query database once per size and generator."""
        stamp = self.data / "stamp.json"
        wanted = {
            "customers": self.customers,
            "purchases": self.purchases,
            "version": [generate.DATA_VERSION, load.DATA_VERSION],
        }
        if stamp.exists() and json.loads(stamp.read_text()) == wanted:
            return
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        say(f"[{self.size}] generating {self.customers:,} customers, {self.purchases:,} lines…")
        generate.generate(self.data, n_customers=self.customers, n_purchases=self.purchases)
        say(f"[{self.size}] loading the query database…")
        load.load(self.data, self.data / "query.db")
        stamp.write_text(json.dumps(wanted))

    def fresh(self, name: str, template: Path | None = None) -> Path:
        """A scratch database path: removed, or a copy of `template` with its schema current.

        Migrating here, untimed, keeps a migration added since the template was built
        from landing in the first timed run.
        """
        self.scratch.mkdir(exist_ok=True)
        path = self.scratch / name
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if template is not None:
            shutil.copyfile(template, path)
            from crmcli.db import open_db

            open_db(path).close()
        return path

    # --- running --------------------------------------------------------------------

    def has(self, *command: str) -> bool:
        """Whether this crmcli has `command` (e.g. 'tiers', 'classify')."""
        if command not in self._available:
            probe = subprocess.run(
                [*self.crmcli, *command, "--help"], capture_output=True, check=False
            )
            self._available[command] = probe.returncode == 0
        return self._available[command]

    def skip(self, name: str, command: str, why: str) -> None:
        self.results.append(Result(name, command, skipped=why))
        say(f"[{self.size}] {name}: {why}")

    def race(
        self,
        cases: Sequence[Case],
        *,
        runs: int | None = None,
    ) -> list[Result]:
        """Time each case `runs` times, taking turns, each after its untimed setup."""
        results = [Result(name, _show(argv)) for name, argv, _, _ in cases]
        for _ in range(runs or self.runs):
            for result, (_, argv, setup, stdout) in zip(results, cases, strict=True):
                if setup is not None:
                    setup()
                seconds, peak = timed(argv, stdout=stdout, cpu=result.cpu)
                result.seconds.append(seconds)
                result.peak_kb.append(peak)
        for result in results:
            say(
                f"[{self.size}] {result.name}: {result.median:.3f} s "
                f"({min(result.seconds):.3f}–{max(result.seconds):.3f}), {result.peak_mb:.0f} MB"
            )
        self.results.extend(results)
        return results

    def compare(self, ours: str, reference: str, target: Target | None = None) -> None:
        self.comparisons.append((ours, reference, target))

    def result(self, name: str) -> Result | None:
        return next((r for r in self.results if r.name == name and not r.skipped), None)

    # --- the operations -------------------------------------------------------------

    def imports(self, kinds: Sequence[str] = ("customers", "purchases")) -> None:
        """Customer and purchase import, against `sqlite3 .import` and sqlite-utils."""
        from crmcli.db import open_db

        empty = self.fresh("empty.db")
        open_db(empty).close()
        customers_db = self.data / "customers-only.db"
        for kind in kinds:
            csv_file = self.data / f"{kind}.csv"
            rows = self.customers if kind == "customers" else self.purchases
            name, shell, utils, floor_name = (
                f"{kind} import",
                f"{kind}: sqlite3 .import",
                f"{kind}: sqlite-utils insert --csv",
                f"{kind}: SQL alone into crmcli's schema",
            )
            ref = self.scratch / f"{kind}-ref.db"
            cases: list[Case] = []
            if self.has(kind, "import"):
                template = empty if kind == "customers" else customers_db
                if kind == "purchases" and not template.exists():
                    load.load(self.data, template, purchases=False)
                target = self.fresh(f"{kind}.db")
                argv = [*self.crmcli, "--db", str(target), kind, "import", str(csv_file)]
                cases.append(
                    (name, argv, lambda t=template, k=kind: self.fresh(f"{k}.db", t), None)
                )
                if self.baseline is not None and kind == "customers":
                    before = self.fresh(f"{kind}-baseline.db")
                    argv = [*baseline_crmcli(self.baseline), "--db", str(before), kind, "import"]
                    # Its own empty shop: it refuses one with this crmcli's newer migrations.
                    own = self.fresh("empty-baseline.db")
                    subprocess.run(
                        [*baseline_crmcli(self.baseline), "--db", str(own), "db", "migrate"],
                        check=True,
                        capture_output=True,
                    )
                    cases.append(
                        (
                            f"{name} ({self.baseline.name}, before)",
                            [*argv, str(csv_file)],
                            lambda t=own, b=before: shutil.copyfile(t, self.fresh(b.name)),
                            None,
                        )
                    )
                    self.compare(name, f"{name} ({self.baseline.name}, before)")
            else:
                self.skip(name, f"crmcli {kind} import", "not available yet")
            if self.sqlite3:
                argv = [self.sqlite3, str(ref), f".import --csv {csv_file} {kind}"]
                cases.append((shell, argv, lambda r=ref: self.fresh(r.name), None))
            else:
                self.skip(
                    shell,
                    "sqlite3 .import",
                    "no sqlite3 shell on this machine (apt install sqlite3)",
                )
            floor_template = empty if kind == "customers" else customers_db
            if self.sqlite3 and floor_template.exists():
                # Not a target: the floor for crmcli's schema, the same rows loaded into
                # its tables in SQL alone (no validation), as its bulk import loads them.
                floor = self.scratch / f"{kind}-floor.db"
                argv = [self.sqlite3, str(floor), *sql_floor(kind, csv_file, floor_template)]
                cases.append(
                    (
                        floor_name,
                        argv,
                        lambda f=floor, t=floor_template: self.fresh(f.name, t),
                        None,
                    )
                )
            python_floor_name = f"{kind}: Python alone into crmcli's schema"
            if kind == "customers":
                # Not a target either: the cheapest Python import that keeps the checks no
                # import can drop (python_floor.py), to tell crmcli's own cost from any
                # program's.
                floor = self.scratch / f"{kind}-python-floor.db"
                argv = [sys.executable, str(HERE / "python_floor.py"), str(floor), str(csv_file)]
                cases.append(
                    (python_floor_name, argv, lambda f=floor: self.fresh(f.name, empty), None)
                )
            # sqlite-utils takes its turn with the others (the ratio the target is judged
            # by is then of one moment's load); about a minute per million rows, so past
            # SLOW_REFERENCE_ROWS it runs once, after them.
            slow = rows > SLOW_REFERENCE_ROWS
            if self.sqlite_utils:
                argv = [*self.sqlite_utils, "insert", str(ref), kind, str(csv_file), "--csv"]
                utils_case: Case = (utils, argv, lambda r=ref: self.fresh(r.name), None)
                if not slow:
                    cases.append(utils_case)
            else:
                self.skip(utils, "sqlite-utils insert", "no sqlite-utils command in this venv")
            if cases:
                self.race(cases)
            if self.sqlite_utils and slow:
                self.race([utils_case], runs=1)
            if kind == "customers" and self.result(name):
                # crmcli's own customer import is what its purchase import builds on.
                imported = self.scratch / "customers.db"
                with closing(sqlite3.connect(imported)) as conn:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file
                shutil.copyfile(imported, customers_db)
            # Issue 17's targets: customers ≥ 2× faster than sqlite-utils; purchases
            # ≤ 4× `.import` and ≥ 8× faster than sqlite-utils.
            if kind == "customers":
                self.compare(name, shell)
                self.compare(name, utils, Target(0.5, "≥ 2× faster than sqlite-utils"))
            else:
                self.compare(name, shell, Target(4.0, "≤ 4× sqlite3 .import"))
                self.compare(name, utils, Target(0.125, "≥ 8× faster than sqlite-utils"))
            # The floor against the references: a target it misses is out of reach for
            # any import that keeps crmcli's tables, indexes and search indexes.
            self.compare(name, floor_name)
            self.compare(floor_name, shell)
            self.compare(floor_name, utils)
            if kind == "customers":
                self.compare(name, python_floor_name)
                self.compare(python_floor_name, utils)

    def queries(self) -> None:
        """Start-up, search, show, classify and due on one database per size."""
        db = self.fresh("query.db", self.data / "query.db")
        python = sys.executable
        self.race(
            [
                ("crmcli --version", [*self.crmcli, "--version"], None, None),
                ("python start-up", [python, "-c", "import sqlite3, csv"], None, None),
            ]
        )
        self.compare("crmcli --version", "python start-up", Target(2.0, "≤ 2× python start-up"))
        base = [*self.crmcli, "--db", str(db)]
        top = generate.code(generate._buyer(0.0, self.customers, 0, self.customers // 3))
        # Interactive: a page of 20 for names and initials, phone digits (a few dozen
        # numbers hold them), the biggest buyer's record and page. Flat from 10k to 1m.
        # Every match of a common name, and Petrosyan's thousands, grow with the shop.
        searches = [
            ("customers search 민준 --limit 20 (2 letters: word index)", ["민준", "--limit", "20"]),
            (
                "customers search 김민준 --limit 20 (3 letters: trigram index)",
                ["김민준", "--limit", "20"],
            ),
            ("customers search ㄱㅁ --limit 20 (initials)", ["ㄱㅁ", "--limit", "20"]),
            ("customers search 010-1234 (phone digits)", ["010-1234"]),
            ("customers search 민준 (2 letters, every match)", ["민준"]),
            ("customers search Petrosyan (trigram index, every match)", ["Petrosyan"]),
        ]
        limit = next(s for most, s in INTERACTIVE_LIMITS if self.customers <= most)
        found = self.race(
            [
                (name, [*base, "customers", "search", *args, "--format", "csv"], None, None)
                for name, args in searches
            ]
            + [
                (
                    "customers show (the biggest buyer: record, as piped)",
                    [*base, "customers", "show", top],
                    None,
                    None,
                ),
                (
                    "customers show --format json (the biggest buyer: whole page)",
                    [*base, "customers", "show", top, "--format", "json"],
                    None,
                    None,
                ),
            ]
        )
        for result in found:
            if "every match" not in result.name:
                result.limit = limit
        with closing(sqlite3.connect(db)) as conn:
            lines = conn.execute(
                "SELECT count(*) FROM purchases WHERE customer_id ="
                " (SELECT id FROM customers WHERE code = ?)",
                [top],
            ).fetchone()[0]
        found[-2].note = found[-1].note = f"{top}, {lines:,} purchase lines"
        self._classify(base, db)
        self._due(base, db)
        # After `due` has run: its first run of a year asks the `holidays` package (which
        # loads dateutil's parser) and keeps the year's holidays; a daily run does not.
        self._read_loads(db, top)

    def _read_loads(self, db: Path, top: str) -> None:
        """Which of READ_NEVER each read command loads, piped (untimed: one run each)."""
        window = ["--as-of", AS_OF, "--days", str(DUE_DAYS)]
        reads = {
            "due": ["due", *window],
            "customers search": ["customers", "search", "민준", "--limit", "20"],
            "customers show": ["customers", "show", top],
            "customers list": ["customers", "list", "--limit", "20"],
        }
        for name, args in reads.items():
            probe = subprocess.run(
                [sys.executable, "-c", LOADED_PROBE, "--db", str(db), *args],
                capture_output=True,
                text=True,
                check=False,
            )
            said = json.loads(probe.stderr.strip().splitlines()[-1])
            if said["status"]:
                raise Failed(f"crmcli {' '.join(args)} exited {said['status']}:\n{probe.stderr}")
            modules = set(said["modules"])
            loaded = [
                n for n in READ_NEVER if n in modules or any(m.startswith(n + ".") for m in modules)
            ]
            self.loaded.append((name, loaded))
        say(f"[{self.size}] {READS_TARGET}: {reads_figure(self.loaded)}")

    def _classify(self, base: list[str], db: Path) -> None:
        name = "tiers classify"
        if not self.has("tiers", "classify"):
            self.skip(name, "crmcli tiers classify", "not available yet")
            return
        ref = [sys.executable, str(HERE / "reference_classify.py"), str(db), "--as-of", AS_OF]
        argv = [*base, "tiers", "classify", "--as-of", AS_OF]
        ref_out = self.scratch / "classify-ref.txt"
        ours, theirs = self.race(
            [(name, argv, None, None), ("classify: SQL window query", ref, None, ref_out)]
        )
        # Same work, same answer: the last run's tier counts against the query's.
        with closing(sqlite3.connect(db)) as conn:
            counts = dict(
                conn.execute(
                    "SELECT tier, count(*) FROM tier_assignments"
                    " WHERE run_id = (SELECT max(id) FROM tier_runs) GROUP BY tier"
                ).fetchall()
            )
        mine = ",".join(f"{t}={counts.get(t, 0)}" for t in "ABC")
        reference = ref_out.read_text().strip()
        ours.note = mine + (" (the same as the query)" if mine == reference else " (differs!)")
        theirs.note = reference
        self.compare(name, "classify: SQL window query", Target(1.3, "≤ 1.3× the SQL query"))

    def _due(self, base: list[str], db: Path) -> None:
        name = "due --kind birthday --kind followup"
        ref_name = "due: bare-Python reference"
        if not self.has("due"):
            self.skip(name, "crmcli due", "not available yet")
            return
        window = ["--as-of", AS_OF, "--days", str(DUE_DAYS), "--format", "csv"]
        ours_out, ref_out, all_out = (self.scratch / f"due-{w}.csv" for w in ("ours", "ref", "all"))
        ref = [sys.executable, str(HERE / "reference_due.py"), str(db), "--as-of", AS_OF]
        results = self.race(
            [
                (
                    name,
                    [*base, "due", "--kind", "birthday", "--kind", "followup", *window],
                    None,
                    ours_out,
                ),
                (ref_name, [*ref, "--days", str(DUE_DAYS)], None, ref_out),
                ("due (every kind)", [*base, "due", *window], None, all_out),
            ]
        )
        counts = [max(_lines(p) - 1, 0) for p in (ours_out, ref_out, all_out)]  # no header: none
        for result, count in zip(results, counts, strict=True):
            result.note = f"{count} rows"
        lunar = sum(1 for line in ours_out.open(encoding="utf-8") if "lunar birthday" in line)
        # The reference lists what crmcli lists (tests/test_benchmarks.py compares them):
        # say so of this run's lines, but for crmcli's salutation and the script's key.
        same = _due_lines(ours_out, drop="salutation") == _due_lines(ref_out, drop="key")
        results[0].note += f", {lunar} of them lunar birthdays"
        results[1].note += " (the same lines as crmcli's)" if same else " (differs!)"
        self.compare(name, ref_name, Target(3.0, "≤ 3× the reference script"))


def _due_lines(path: Path, *, drop: str) -> list[list[str]]:
    """A CSV file's rows without the column `drop` (none when the file is empty)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    at = rows[0].index(drop)
    return [row[:at] + row[at + 1 :] for row in rows]


def baseline_crmcli(source: Path) -> list[str]:
    """This Python running the crmcli whose package is in `source` (a checkout of another
    commit): the "before" of a change, timed in the same turns as the "after"."""
    start = (
        "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'crmcli';"
        " from crmcli.__main__ import main; main()"
    )
    return [sys.executable, "-c", start, str(source.resolve())]


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def _show(argv: Sequence[str]) -> str:
    """A command as a reader would type it: paths shortened to their file names."""
    words = []
    for word in argv:
        if "/" in word and not word.startswith("."):
            word = Path(word).name
        words.append(word if word.replace("-", "").replace(".", "").isalnum() else repr(word))
    return " ".join(words)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- reporting -------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One target at one size: what was asked, what was measured, and whether it holds."""

    size: str
    target: str
    figure: str
    met: bool | None  # None: not measured in this run

    @property
    def miss(self) -> str:
        return f"{self.size}: {self.target}: {self.figure}"


def time_limit(name: str, customers: int) -> float | None:
    """The seconds `name` must stay under at this size (TIME_LIMITS), if any."""
    return next((s for most, s in TIME_LIMITS.get(name, ()) if customers <= most), None)


def reads_figure(loaded: list[tuple[str, list[str]]]) -> str:
    """What the read commands loaded of READ_NEVER: 'none', or the commands that loaded
    each same set (`due, customers show: sqlite_utils, pluggy`)."""
    by_set: dict[tuple[str, ...], list[str]] = {}
    for name, modules in loaded:
        if modules:
            by_set.setdefault(tuple(modules), []).append(name)
    found = [f"{', '.join(names)}: {', '.join(modules)}" for modules, names in by_set.items()]
    return "; ".join(found) if found else "none"


def verdicts(bench: Bench) -> list[Verdict]:
    """Every target this size's run can judge: ratios, time limits, peak memory and
    what the read commands load."""
    out: list[Verdict] = []
    for ours_name, ref_name, target in bench.comparisons:
        if target is None:
            continue
        ours, ref = bench.result(ours_name), bench.result(ref_name)
        text = f"{ours_name} {target.text}"
        if ours is None or ref is None:
            why = "not available yet" if ours is None else "reference not run"
            out.append(Verdict(bench.size, text, why, None))
            continue
        ratio = ours.median / ref.median
        figure = _ratio(ratio)
        out.append(Verdict(bench.size, text, figure, ratio <= target.ratio))
    for r in bench.results:
        limit = r.limit if r.limit is not None else time_limit(r.name, bench.customers)
        if limit is None:
            continue
        text = f"{r.name} ≤ {limit:g} s"
        if r.skipped:
            out.append(Verdict(bench.size, text, r.skipped, None))
        else:
            out.append(Verdict(bench.size, text, f"{r.median:.3f} s", r.median <= limit))
    for r in bench.results:
        ours = r.name.startswith(("customers", "purchases", "crmcli", "tiers", "due"))
        if r.skipped or not ours:
            continue
        over = r.peak_mb >= MEMORY_LIMIT_MB
        if over or r.name in MEMORY_TARGETS:
            text = f"{r.name} peak < {MEMORY_LIMIT_MB} MB"
            out.append(Verdict(bench.size, text, f"{r.peak_mb:.0f} MB", not over))
    if bench.loaded:
        met = not any(modules for _, modules in bench.loaded)
        out.append(Verdict(bench.size, READS_TARGET, reads_figure(bench.loaded), met))
    return out


def verdict_table(found: list[Verdict]) -> list[str]:
    """The closing table: every target at every size, met or not."""
    lines = ["### Verdict", "", "| size | target | figure | met |", "| --- | --- | ---: | --- |"]
    for v in found:
        met = "–" if v.met is None else ("yes" if v.met else "**no**")
        lines.append(f"| {v.size} | {v.target} | {v.figure} | {met} |")
    return lines


def report(bench: Bench) -> tuple[list[str], list[str]]:
    """Markdown tables of the results and the ratios; and the list of misses."""
    lines = [
        f"### {bench.size}: {bench.customers:,} customers, {bench.purchases:,} purchase lines",
        "",
        "| operation | median s | min–max s | median CPU s | runs | peak MB | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in bench.results:
        if r.skipped:
            lines.append(f"| {r.name} | – | – | – | – | – | {r.skipped} |")
            continue
        notes = [r.note] if r.note else []
        ours = r.name.startswith(("customers", "purchases", "crmcli", "tiers", "due"))
        if ours and r.peak_mb >= MEMORY_LIMIT_MB:
            notes.append(f"over {MEMORY_LIMIT_MB} MB")
        limit = r.limit if r.limit is not None else time_limit(r.name, bench.customers)
        if limit is not None:
            met = r.median <= limit
            notes.append(f"target ≤ {limit:g} s: " + ("met" if met else "**missed**"))
        cpu = f"{statistics.median(r.cpu):.3f}" if r.cpu else "–"
        lines.append(
            f"| {r.name} | {r.median:.3f} | {min(r.seconds):.3f}–{max(r.seconds):.3f} "
            f"| {cpu} | {len(r.seconds)} | {r.peak_mb:.0f} | {'; '.join(notes)} |"
        )
    lines += [
        "",
        "| crmcli | reference | ratio | CPU ratio | target | met |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for ours_name, ref_name, target in bench.comparisons:
        ours, ref = bench.result(ours_name), bench.result(ref_name)
        if ours is None or ref is None:
            why = "not available yet" if ours is None else "reference not run"
            lines.append(
                f"| {ours_name} | {ref_name} | – | – | {target.text if target else ''} | {why} |"
            )
            continue
        ratio = ours.median / ref.median
        met = ""
        if target:
            met = "yes" if ratio <= target.ratio else "**no**"
        # CPU beside wall: a reference that waits on the disk (sqlite-utils' commits) is
        # slow in wall time on a loaded machine without doing more work.
        cpu = "–"
        if ours.cpu and ref.cpu:
            cpu = _ratio(statistics.median(ours.cpu) / statistics.median(ref.cpu))
        lines.append(
            f"| {ours_name} | {ref_name} | {_ratio(ratio)} | {cpu} "
            f"| {target.text if target else ''} | {met} |"
        )
    misses = [v.miss for v in verdicts(bench) if v.met is False]
    return lines, misses


def _ratio(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio >= 1 else f"{ratio:.2f}× ({1 / ratio:.1f}× faster)"


def growth(benches: list[Bench]) -> list[str]:
    """Median seconds per operation at each size, and the factor over the smallest size."""
    names = [r.name for r in benches[0].results if not r.skipped]
    head = " | ".join(f"{b.size} ({b.purchases:,} lines)" for b in benches)
    lines = [
        "### Growth",
        "",
        f"| operation | {head} |",
        "| --- |" + " ---: |" * len(benches),
    ]
    for name in names:
        cells = []
        first = benches[0].result(name)
        for b in benches:
            r = b.result(name)
            if r is None or first is None:
                cells.append("–")
            elif b is benches[0]:
                cells.append(f"{r.median:.3f} s")
            else:
                cells.append(f"{r.median:.3f} s (×{r.median / first.median:.1f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def compile_crmcli() -> None:
    """Write crmcli's bytecode before timing anything, as `pip install` does.

    Where PYTHONDONTWRITEBYTECODE is set (containers, CI) an editable install is never
    compiled, and every timed start-up would compile crmcli from source again (~0.08 s
    of a search): a cost no installed crmcli pays.
    """
    import compileall

    import crmcli

    compileall.compile_dir(Path(crmcli.__file__).parent, quiet=1)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    sqlite = sqlite3.sqlite_version
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}, "
        f"SQLite {sqlite}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size",
        default="small",
        help=f"Sizes, comma-separated: {', '.join(SIZES)} (or {', '.join(ALIASES)}).",
    )
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per operation.")
    parser.add_argument(
        "--only",
        choices=("imports", "queries", "customers-import"),
        help="Run one half of the benchmark (or the customers import alone).",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=HERE / ".data",
        help="Where generated data and scratch databases go (cached between runs).",
    )
    parser.add_argument("--json", type=Path, help="Also write the results as JSON here.")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="Another crmcli's source folder (holding its crmcli package, e.g. a `git "
        "archive` of the commit before a change): its customers import takes its turns "
        "with this one's and the references', for a before/after in one run.",
    )
    parser.add_argument(
        "--engine",
        choices=("sqlite", "postgresql", "both"),
        default="sqlite",
        help="sqlite: crmcli against its references; postgresql: the main operations on "
        "SQLite and on a PostgreSQL server, in turns; both: the two.",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CRMCLI_BENCH_PG"),
        help="An administrator's URL on the server (it creates and drops databases named "
        "crmcli_bench_<size>_<pid>_<random>_*, its own); default: CRMCLI_BENCH_PG.",
    )
    args = parser.parse_args(argv)
    if args.engine != "sqlite" and not args.pg_url:
        parser.error(f"--engine {args.engine} needs --pg-url (or CRMCLI_BENCH_PG)")
    sizes = [ALIASES.get(s.strip(), s.strip()) for s in args.size.split(",")]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.baseline and not (args.baseline / "crmcli" / "__main__.py").exists():
        parser.error(f"--baseline {args.baseline}: no crmcli package there")
    compile_crmcli()
    started = datetime.now(timezone.utc)
    benches: list[Bench] = []
    out = [
        f"Run {started:%Y-%m-%d %H:%M} UTC, --runs {args.runs}, on {machine()}",
        "",
    ]
    all_misses: list[str] = []
    judged: list[Verdict] = []
    try:
        for size in sizes:
            bench = Bench(size, args.runs, args.work, args.baseline)
            bench.prepare()
            if args.engine != "postgresql":
                if args.only == "customers-import":
                    bench.imports(("customers",))
                elif args.only != "queries":
                    bench.imports()
                if args.only not in ("imports", "customers-import"):
                    bench.queries()
            if args.engine != "sqlite":
                server.compare(bench, args.pg_url)
            benches.append(bench)
            lines, misses = report(bench)
            out += [*lines, ""]
            all_misses += misses
            judged += verdicts(bench)
    except Failed as exc:
        say(f"benchmark stopped: {exc}")
        return 1
    except KeyboardInterrupt:
        say("benchmark interrupted: nothing reported")  # its server databases are dropped
        return 130
    if len(benches) > 1:
        out += [*growth(benches), ""]
    out += [*verdict_table(judged), ""]
    out.append("Targets missed: " + ("; ".join(all_misses) if all_misses else "none") + ".")
    print("\n".join(out))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "started": started.isoformat(),
                    "machine": machine(),
                    "runs": args.runs,
                    "sizes": {
                        b.size: {
                            "customers": b.customers,
                            "purchases": b.purchases,
                            "results": [r.as_dict() for r in b.results],
                        }
                        for b in benches
                    },
                    "misses": all_misses,
                    "verdicts": [
                        {"size": v.size, "target": v.target, "figure": v.figure, "met": v.met}
                        for v in judged
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
