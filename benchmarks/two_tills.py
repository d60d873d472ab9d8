"""Issue 16's two-till scenario, run on one shop: `two_tills.py --engine sqlite|postgresql|both`.

Two "tills" record purchases, advance the same few complaints and mark the shop's one
weekly follow-up done, at once, while a third process runs `due` over and over, each
step a real `crmcli` process, as at a shop counter (`--import-lines N`: and the back
office imports N purchase lines meanwhile). At the end it checks what a shop owner
would: every purchase a till was told was recorded is there once, no purchase is there
that no till or import added, each complaint went through its stages once each and in
order, the follow-up came back once a week for each `done` that succeeded (never twice
for one), `db check` is clean, and no command ended in a traceback or an unexplained
failure. It prints one table per engine: commands run, refused (and why), the waits
said, `due`'s times.

PostgreSQL needs `--admin-url` (an administrator's URL, e.g. the suite's
`CRMCLI_TEST_PG`): a scratch database of this run's own (`crmcli_two_tills_<pid>`) is
made and dropped, so two runs on one server never meet.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path

CRMCLI = [sys.executable, "-m", "crmcli"]
STAGES = ["apologized", "cause-found", "resolved", "followed-up", "closed"]
STAGE_FIELDS = {
    "cause-found": ["--cause", "other", "--detail", "a loose lid"],
    "resolved": ["--resolution", "a new lid"],
    "followed-up": ["--note", "called: happy"],
    "closed": ["--lesson", "check lids"],
}
WAITING = "another crmcli process is writing; waiting for it"
ALREADY = re.compile(r"is already at stage ([a-z-]+)")
FOLLOWUP_EVERY_DAYS = 7


@dataclass
class Tally:
    """What one engine's run did."""

    commands: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    waits: int = 0
    failures: list[str] = field(default_factory=list)  # tracebacks, unexplained exits
    recorded: list[int] = field(default_factory=list)  # purchase ids the tills were given
    imported: int = 0  # purchase lines the back office's import added
    followups_done: int = 0  # `followups done` that succeeded (each opens the next one)
    due_seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def crmcli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRMCLI_DB": db, "LANGUAGE": "en", "NO_COLOR": "1"}
    return subprocess.run([*CRMCLI, *args], capture_output=True, text=True, env=env, check=False)


def _run(db: str, tally: Tally, what: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = crmcli(db, *args)
    with tally.lock:
        tally.commands[what] += 1
        tally.waits += done.stderr.count(WAITING)
        if "Traceback" in done.stderr or done.returncode not in (0, 1):
            tally.failures.append(f"{what}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
        elif done.returncode == 1:
            reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
            tally.refused[f"{what}: {_kind_of(reason)}"] += 1
    return done


def _kind_of(message: str) -> str:
    if any(said in message for said in ("is already at stage", "is closed; reopen", ", past ")):
        return "already at that stage or closed (the other till was first)"
    if re.search(r"follow-up #\d+ is already done", message):
        return "follow-up already done (the other till was first)"
    if "busy" in message:
        return "busy (waited too long)"
    return message[:90]


def till(db: str, tally: Tally, name: str, customers: int, complaints: int, until: float) -> None:
    known = dict.fromkeys(range(1, complaints + 1), -1)  # complaint → last stage seen
    turn = 0
    while time.monotonic() < until:
        turn += 1
        customer = f"C{(turn * 7 + len(name)) % customers + 1:04}"
        done = _run(db, tally, "purchases add", "purchases", "add", customer, "--amount",
                    f"{turn % 50 + 1}.50", "--item", f"{name} item")  # fmt: skip
        if done.returncode == 0:
            with tally.lock:
                tally.recorded.append(int(done.stdout.strip()))
        if turn % 2 == 0:
            open_ones = [c for c, s in known.items() if s < len(STAGES) - 1]
            if not open_ones:
                continue
            complaint = open_ones[turn % len(open_ones)]
            stage = STAGES[known[complaint] + 1]
            done = _run(db, tally, "complaints advance", "complaints", "advance", str(complaint),
                        "--to", stage, *STAGE_FIELDS.get(stage, []))  # fmt: skip
            if done.returncode == 0:
                known[complaint] += 1
            elif (seen := ALREADY.search(done.stderr)) is not None:
                known[complaint] = STAGES.index(seen.group(1))
        if turn % 5 == 0:  # the weekly call: both tills see it open, one marks it first
            listed = crmcli(db, "followups", "list", "--format", "csv", "--fields", "id")
            open_ones = listed.stdout.split()[1:]
            if open_ones:
                done = _run(db, tally, "followups done", "followups", "done", open_ones[0])
                if done.returncode == 0:
                    with tally.lock:
                        tally.followups_done += 1


def morning(db: str, tally: Tally, until: float) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        done = _run(db, tally, "due", "due", "--format", "csv")
        if done.returncode == 0:
            with tally.lock:
                tally.due_seconds.append(time.perf_counter() - started)


def back_office(db: str, tally: Tally, lines: int, customers: int, start: float) -> None:
    """A purchases import of `lines` lines, started a third of the way in: it holds the
    purchases table's numbering while it runs, so the tills' adds wait and say so."""
    time.sleep(max(0.0, start - time.monotonic()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sales.csv"
        rows = (
            f"C{i % customers + 1:04},2026-{i % 12 + 1:02}-{i % 28 + 1:02},{i % 90 + 10},b{i}\n"
            for i in range(lines)
        )
        path.write_text("customer,date,amount,line_id\n" + "".join(rows), encoding="utf-8")
        done = _run(
            db,
            tally,
            "purchases import",
            "purchases",
            "import",
            str(path),
            "--format",
            "json",
        )
    if done.returncode == 0:
        with tally.lock:
            tally.imported = json.loads(done.stdout)[0]["added"]


def seed(db: str, customers: int, complaints: int, folder: Path) -> None:
    rows = "".join(f"C{i:04},Customer {i},010-{i:04}-{i:04}\n" for i in range(1, customers + 1))
    (folder / "customers.csv").write_text("code,name,phone\n" + rows, encoding="utf-8")
    for args in (
        ["db", "migrate"],
        ["customers", "import", str(folder / "customers.csv")],
        *(
            ["complaints", "open", f"C{i:04}", "--summary", "the lid leaks"]
            for i in range(1, complaints + 1)
        ),
        [
            "followups",
            "add",
            "C0001",
            "--on",
            "2026-12-01",
            "--every",
            "1w",
            "--note",
            "call",
        ],
    ):
        done = crmcli(db, *args)
        if done.returncode != 0:
            raise SystemExit(f"seeding failed: crmcli {' '.join(args)}: {done.stderr}")


def check(db: str, tally: Tally) -> list[str]:
    """What a shop owner would look at after the rush; empty when all is well."""
    found = []
    listed = crmcli(db, "purchases", "list", "--format", "csv", "--fields", "id")
    ids = [int(line) for line in listed.stdout.split()[1:]]
    if len(ids) != len(tally.recorded) + tally.imported or not set(tally.recorded) <= set(ids):
        found.append(
            f"purchases: {len(ids)} stored, {len(tally.recorded)} recorded by the tills"
            f" and {tally.imported} imported"
        )
    if len(set(tally.recorded)) != len(tally.recorded):
        found.append("two purchases were given the same id")
    shown = crmcli(db, "complaints", "list", "--format", "csv", "--fields", "id,stage")
    if shown.returncode != 0:
        found.append(f"complaints list: {shown.stderr.strip()}")
    for complaint in range(1, 1 + sum(1 for _ in shown.stdout.splitlines()[1:])):
        history = crmcli(db, "complaints", "show", str(complaint), "--format", "json")
        timeline = json.loads(history.stdout)["timeline"]
        reached = [event["stage"] for event in timeline if event["stage"] in STAGES]
        if reached != STAGES[: len(reached)] or len(set(reached)) != len(reached):
            found.append(f"complaint #{complaint}: stages {reached}")
    found += _check_followups(db, tally)
    checked = crmcli(db, "db", "check")
    if checked.returncode != 0:
        found.append(f"db check: {checked.stderr.strip()}")
    return found + tally.failures


def _check_followups(db: str, tally: Tally) -> list[str]:
    """The weekly follow-up: one `done` that succeeded, one new occurrence a week on."""
    listed = crmcli(
        db,
        "followups",
        "list",
        "--all",
        "--format",
        "json",
        "--fields",
        "id,due_on,status",
    )
    rows = sorted(json.loads(listed.stdout or "[]"), key=lambda row: row["id"])
    days = [date.fromisoformat(row["due_on"]) for row in rows]
    gaps = {(b - a).days for a, b in pairwise(days)}
    still_open = sum(row["status"] == "open" for row in rows)
    if len(rows) != tally.followups_done + 1 or still_open != 1 or gaps - {FOLLOWUP_EVERY_DAYS}:
        return [
            f"follow-ups: {len(rows)} stored ({still_open} open), {tally.followups_done} marked"
            f" done by the tills; days {', '.join(map(str, days))}"
        ]
    return []


def report(engine: str, tally: Tally, problems: list[str], seconds: float) -> None:
    due = sorted(tally.due_seconds)
    print(f"\n## {engine}: two tills and a `due` loop for {seconds:.0f} s")
    print("| what | count |\n| --- | --- |")
    for what, n in sorted(tally.commands.items()):
        print(f"| {what} | {n} |")
    for what, n in sorted(tally.refused.items()):
        print(f"| refused — {what} | {n} |")
    print(f"| waits said (`{WAITING}`) | {tally.waits} |")
    print(f"| purchases recorded by the tills | {len(tally.recorded)} |")
    print(f"| weekly follow-up marked done (each once) | {tally.followups_done} |")
    if tally.imported:
        print(f"| purchase lines imported meanwhile | {tally.imported:,} |")
    if due:
        print(
            f"| `due` seconds: min / median / max | {due[0]:.2f} / {statistics.median(due):.2f}"
            f" / {due[-1]:.2f} |"
        )
    print(f"| problems found after | {len(problems)} |")
    for problem in problems:
        print(f"- PROBLEM: {problem}")


def scenario(db: str, engine: str, args: argparse.Namespace, folder: Path) -> bool:
    seed(db, args.customers, args.complaints, folder)
    tally = Tally()
    until = time.monotonic() + args.seconds
    shop = (args.customers, args.complaints, until)
    workers = [threading.Thread(target=till, args=(db, tally, n, *shop)) for n in ("A", "B")]
    workers.append(threading.Thread(target=morning, args=(db, tally, until)))
    if args.import_lines:
        start = until - args.seconds * 2 / 3
        office = (db, tally, args.import_lines, args.customers, start)
        workers.append(threading.Thread(target=back_office, args=office))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    problems = check(db, tally)
    report(engine, tally, problems, args.seconds)
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--admin-url", default=os.environ.get("CRMCLI_TEST_PG"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--complaints", type=int, default=4)
    parser.add_argument(
        "--import-lines",
        type=int,
        default=0,
        help="a purchases import of this many lines meanwhile",
    )
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for engine in engines:
            if engine == "sqlite":
                ok &= scenario(str(folder / "shop.db"), "SQLite", args, folder)
                continue
            if not args.admin_url:
                raise SystemExit("PostgreSQL needs --admin-url (or CRMCLI_TEST_PG)")
            url = _scratch(args.admin_url, create=True)
            try:
                ok &= scenario(url, "PostgreSQL", args, folder)
            finally:
                _scratch(args.admin_url, create=False)
    return 0 if ok else 1


SCRATCH = f"crmcli_two_tills_{os.getpid()}"  # this run's own: two runs never meet


def _scratch(admin_url: str, *, create: bool) -> str:
    """Make (or drop) this run's scratch database on the server; its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {SCRATCH}")
    parts = psycopg.conninfo.conninfo_to_dict(admin_url)
    parts["dbname"] = SCRATCH
    return (
        "postgresql:///?"
        + "&".join(f"{k}={v}" for k, v in parts.items() if k != "dbname")
        + (f"&dbname={SCRATCH}")
    )


if __name__ == "__main__":
    sys.exit(main())
