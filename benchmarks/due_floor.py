"""The SQL floor of `crmcli due`: the very statements a run sends to SQLite, replayed by
the sqlite3 shell, with no Python at all.

    python benchmarks/due_floor.py DB --as-of 2025-12-01 [--days 7] [--runs 3]
        [--script FILE]

First `crmcli due --format csv` runs once in this process with every statement it
sends traced, as SQLite expands it (its values written in): reading the settings,
each source's query, the items made in Python inserted one by one, the listing. Then
`crmcli due` and the sqlite3 shell given those statements take turns (`--runs`
each); the CPU time (user + system) of each whole process is reported, and their
ratio. The shell prints the listing's rows to /dev/null, as crmcli prints its CSV.

What the replay leaves out is crmcli's own work in Python: start-up, turning dates
and settings into the sources' queries, the items only Python makes, each line's
salutation and the CSV. What it keeps is what SQLite does for `due`: no `due`
reading these tables with these statements can take less. It overstates the floor
only by the shell parsing each Python-made item's INSERT as a statement of its own
(it reports how many there were).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

NAME = "crmcli due"
FLOOR = "its SQL, sqlite3 shell"


def traced(db: Path, argv: list[str]) -> list[str]:
    """The statements `crmcli due` sends to SQLite (every connection it opens)."""
    statements: list[str] = []
    connect = sqlite3.connect

    def tracing(*args: object, **kw: object) -> sqlite3.Connection:
        conn = connect(*args, **kw)  # type: ignore[arg-type]
        # What SQLite runs inside a statement (ANALYZE's own reads) is traced as an SQL
        # comment: the statement replayed runs it again.
        conn.set_trace_callback(lambda s: None if s.startswith("--") else statements.append(s))
        return conn

    sqlite3.connect = tracing  # type: ignore[assignment]
    from crmcli.__main__ import main

    sys.argv = ["crmcli", "--db", str(db), *argv]
    stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    try:
        main()
    except SystemExit as done:
        if done.code:
            raise
    finally:
        sys.stdout.close()
        sys.stdout = stdout
        sqlite3.connect = connect  # type: ignore[assignment]
    return statements


def script(statements: list[str], output: str = os.devnull) -> str:
    """The statements as one sqlite3 shell script, what they print going to `output`."""
    lines = [f".output {output}", ".mode list"]
    for s in statements:
        s = s.strip()
        if s:
            lines.append(s if s.endswith(";") else s + ";")
    return "\n".join(lines) + "\n"


def label(statement: str) -> str:
    """What a statement is for, in the words of `due`'s parts."""
    text = " ".join(statement.split())
    inserted = re.match(
        r"INSERT OR IGNORE INTO temp\.agenda_found_\d+ (SELECT key, '([^']+)'|VALUES)", text
    )
    if inserted:
        return f"{inserted[2]}, found in SQL" if inserted[2] else "items made in Python, inserted"
    for marker, name in PARTS:
        if marker in text:
            return name
    return "the rest (settings, sources' other reads, temporary table)"


# Markers of the statements of each part (`label`), first match wins.
PARTS = (
    (" FROM listed WHERE", "the listing (join, filter, sort)"),
    ("WITH clock AS", "tier visits (each member's clock)"),
    ("SELECT DISTINCT p.customer_id, p.date FROM purchases", "first-purchase anniversaries"),
    ("FROM customers WHERE substr(birthday, -5) IN", "lunar birthdays"),
    ("FROM customer_dates d", "anniversaries"),
)


def parts(shell: str, db: Path, statements: list[str]) -> dict[str, float]:
    """CPU seconds (user + sys) of each part, from the shell's own timer per statement."""
    timed = subprocess.run(
        [shell, str(db)],
        input=".timer on\n" + script(statements),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    times = [
        float(m[1]) + float(m[2])
        for m in re.finditer(r"Run Time: real [\d.]+ user ([\d.]+) sys ([\d.]+)", timed)
    ]
    ran = [s for s in statements if s.strip()]
    if len(times) != len(ran):
        raise SystemExit(f"due_floor: {len(times)} timings for {len(ran)} statements")
    found: dict[str, float] = {}
    for statement, seconds in zip(ran, times, strict=True):
        found[label(statement)] = found.get(label(statement), 0.0) + seconds
    return found


def cpu(argv: list[str], *, stdin: Path | None = None) -> float:
    """A whole process's CPU seconds (user + system); its output to /dev/null."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.devnull, "wb") as sink, open(stdin or os.devnull, "rb") as given:
        subprocess.run(argv, stdin=given, stdout=sink, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--script", type=Path, help="keep the replayed statements here")
    args = parser.parse_args()
    shell = shutil.which("sqlite3")
    if shell is None:
        sys.exit("due_floor: no sqlite3 shell on PATH")
    argv = ["due", "--as-of", args.as_of, "--days", str(args.days), "--format", "csv"]
    statements = traced(args.db, argv)
    inserts = sum(1 for s in statements if s.lstrip().upper().startswith("INSERT OR IGNORE"))
    path = args.script or Path(os.environ.get("TMPDIR", "/tmp")) / "due_floor.sql"
    path.write_text(script(statements), encoding="utf-8")
    crmcli = [sys.executable, "-m", "crmcli", "--db", str(args.db), *argv]
    replay = [shell, str(args.db)]
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(args.runs):  # in turns: the machine's load falls on both alike
        ours.append(cpu(crmcli))
        floor.append(cpu(replay, stdin=path))
    mine, bare = statistics.median(ours), statistics.median(floor)
    print(f"statements traced: {len(statements)} ({inserts} inserts of found items)")
    for name, median, times in ((NAME, mine, ours), (FLOOR, bare, floor)):
        each = ", ".join(f"{t:.2f}" for t in times)
        print(f"{name:24} median {median:.2f} s CPU ({each})")
    print(f"crmcli / its SQL: {mine / bare:.2f}x")
    print("its SQL by part (the shell's timer, one more replay):")
    for name, seconds in sorted(parts(shell, args.db, statements).items(), key=lambda p: -p[1]):
        print(f"  {seconds:6.2f} s  {name}")


if __name__ == "__main__":
    main()
