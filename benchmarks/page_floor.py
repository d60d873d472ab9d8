"""The floor of a customer's whole page (`crmcli customers show CODE --format json`): the
very statements the page sends, sent again by a bare Python process and by the sqlite3
shell.

    python benchmarks/page_floor.py DB CODE [--runs 11] [--as-of DAY]

First the page is made once in this process with every statement it sends traced, as
SQLite expands them (their values written in): the settings, the customer, the one pass
over their lines, the early buys, the rhythm, the tier, the complaints, follow-ups and
contacts. Then these take turns (`--runs` each) and the CPU time (user + system) and
wall time of each whole process are reported (medians):

- crmcli's page;
- the Python floor: this script with `--replay`, which imports typer (what every crmcli
  command loads before it runs), sends each statement through Python's sqlite3, fetches
  every row and prints them all as JSON: Python's start-up, typer and the page's SQL,
  nothing of crmcli's own;
- the SQL alone: the sqlite3 shell given the statements, no Python at all;
- Python's start-up (`python -c "import sqlite3, csv"`, the benchmark's reference).

What crmcli takes over the Python floor is its own modules and its shaping of the rows
into the page; what the floor takes over the shell is Python and typer. No page made by
a Python command on typer that reads these rows can take less than the floor.
"""

from __future__ import annotations

import json
import sqlite3
import sys


def replay(statements: str, db: str) -> None:
    """Send the statements in the JSON file `statements` to `db`; print every row as JSON."""
    import typer  # noqa: F401  (what every crmcli command loads before it runs)

    with open(statements, encoding="utf-8") as f:
        sent = json.load(f)
    conn = sqlite3.connect(db, isolation_level=None)
    rows = [conn.execute(sql).fetchall() for sql in sent]
    conn.close()
    json.dump(rows, sys.stdout, ensure_ascii=False, default=str)


def main() -> None:
    import argparse
    import os
    import shutil
    import statistics
    import tempfile
    import time
    from pathlib import Path

    from due_floor import cpu, script, traced

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("code", help="the customer's code (the benchmark's biggest buyer)")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--as-of", help="the page's day (default today, as the benchmark)")
    args = parser.parse_args()
    shell = shutil.which("sqlite3")
    if shell is None:
        sys.exit("page_floor: no sqlite3 shell on PATH")
    argv = ["customers", "show", args.code, "--format", "json"]
    if args.as_of:
        argv += ["--as-of", args.as_of]
    statements = traced(args.db, argv)
    with tempfile.TemporaryDirectory() as tmp:
        sent = Path(tmp) / "page.json"
        sent.write_text(json.dumps(statements), encoding="utf-8")
        shell_script = Path(tmp) / "page.sql"
        shell_script.write_text(script(statements), encoding="utf-8")
        cases = {
            "crmcli's page": ([sys.executable, "-m", "crmcli", "--db", str(args.db), *argv], None),
            "Python floor: typer + its SQL": (
                [sys.executable, __file__, "--replay", str(sent), str(args.db)],
                None,
            ),
            "its SQL, sqlite3 shell": ([shell, "-readonly", str(args.db)], shell_script),
            "python start-up": ([sys.executable, "-c", "import sqlite3, csv"], None),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):  # in turns: the machine's load falls on all alike
            for name, (command, stdin) in cases.items():
                began = time.perf_counter()
                used = cpu(command, stdin=stdin)
                times[name].append((used, time.perf_counter() - began))
    print(f"statements traced: {len(statements)}; load {os.getloadavg()[0]:.1f}")
    for name, each in times.items():
        used = statistics.median(t[0] for t in each)
        wall = statistics.median(t[1] for t in each)
        print(f"{name:32} CPU {used:.3f} s, wall {wall:.3f} s (medians of {len(each)})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--replay"]:
        replay(sys.argv[2], sys.argv[3])
    else:
        main()
