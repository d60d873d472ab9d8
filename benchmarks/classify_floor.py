"""The SQL floor of `crmcli tiers classify`: the very statements a run sends to SQLite,
replayed by the sqlite3 shell, with no Python at all, beside the hand query.

    python benchmarks/classify_floor.py DB --as-of 2025-12-01 [--runs 3] [--script FILE]

First `crmcli tiers classify` runs once on a copy of DB with every statement it sends
traced, as SQLite expands it (its values written in): reading the settings, the spend,
the run's row, the ranking written as each customer's tier, the run's reasons, the
per-tier counts. Then `crmcli tiers classify`, the sqlite3 shell given those statements
and the hand query (`reference_classify.py`, what the benchmark compares classify
with) take turns (`--runs` each), each writer on a fresh copy of DB made untimed; the
CPU time (user + system) of each whole process is reported, and each one's ratio to
the hand query.

What the replay leaves out is crmcli's own work in Python: start-up, turning the
settings into the rule's exact limits, the summary it prints. What it keeps is what
SQLite does for a classification, the writing of every customer's row and its index
included (which the hand query, reading only, does not do): no `tiers classify` that
keeps its runs can take less.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from due_floor import cpu, script, traced

HERE = Path(__file__).parent
NAME = "crmcli tiers classify"
FLOOR = "its SQL, sqlite3 shell"
REFERENCE = "the SQL window query"


def fresh(db: Path, copy: Path) -> Path:
    """`db` copied to `copy` (a classification writes: every run starts from the same)."""
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(db, copy)
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--script", type=Path, help="keep the replayed statements here")
    args = parser.parse_args()
    shell = shutil.which("sqlite3")
    if shell is None:
        sys.exit("classify_floor: no sqlite3 shell on PATH")
    argv = ["tiers", "classify", "--as-of", args.as_of]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / args.db.name
        statements = traced(fresh(args.db, copy), argv)
        path = args.script or Path(tmp) / "classify_floor.sql"
        path.write_text(script(statements), encoding="utf-8")
        crmcli = [sys.executable, "-m", "crmcli", "--db", str(copy), *argv]
        replay = [shell, str(copy)]
        reference = [
            sys.executable,
            str(HERE / "reference_classify.py"),
            str(args.db),
            "--as-of",
            args.as_of,
        ]
        times: dict[str, list[float]] = {NAME: [], FLOOR: [], REFERENCE: []}
        for _ in range(args.runs):  # in turns: the machine's load falls on all alike
            fresh(args.db, copy)
            times[NAME].append(cpu(crmcli))
            fresh(args.db, copy)
            times[FLOOR].append(cpu(replay, stdin=path))
            times[REFERENCE].append(cpu(reference))
    print(f"statements traced: {len(statements)}")
    base = statistics.median(times[REFERENCE])
    for name, each in times.items():
        median = statistics.median(each)
        runs = ", ".join(f"{t:.2f}" for t in each)
        print(f"{name:24} median {median:.3f} s CPU ({runs}); {median / base:.2f}x the query")


if __name__ == "__main__":
    main()
