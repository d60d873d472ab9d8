"""The floor of `crmcli tiers classify` as a Python command: its statements sent by sqlite3.

    python benchmarks/classify_floor_python.py DB --as-of 2025-12-01 [--bare]

What a run must do and the SQL reference (reference_classify.py) does not: store the
run, a row for every customer with its tier, rank and reason, and commit. This script
sends the statements `tiers classify` sends (pareto, 80/95, over 12 months: traced
with sqlite3's trace callback) straight to sqlite3, after importing typer, the command
line framework crmcli is built on (`--bare`: without it). No crmcli module loads, no
check runs; what is left is Python's start-up, typer's import and the SQL a stored
run needs. Prints the tier counts (`A=…,B=…,C=…`), as reference_classify.py does.
(classify_floor.py replays the same statements in the sqlite3 shell: no Python at all.)
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

SPEND = """
CREATE TEMP TABLE tier_spend AS
SELECT customer_id, coalesce(spend, 0) AS spend, CASE WHEN spend IS NULL THEN 0 ELSE 1 END AS lines
FROM (SELECT c.id AS customer_id,
             (SELECT sum(p.amount_micros) FROM purchases p INDEXED BY purchases_customer_date
              WHERE p.customer_id = c.id AND p.date < :end AND p.date >= :start) AS spend
      FROM customers c NOT INDEXED WHERE c.archived_at IS NULL AND c.forgotten_at IS NULL)
"""
TOTALS = """
SELECT coalesce(sum(max(spend, 0)), 0), coalesce(sum(spend), 0),
       count(*) FILTER (WHERE spend > 0), count(*) FROM temp.tier_spend
"""
ASSIGN = """
INSERT INTO tier_assignments (run_id, customer_id, tier, spend_micros, rank, reason_code,
                              reason, above_micros)
SELECT :run, customer_id, substr('CCABC', step + 1, 1), spend, rank, step, NULL, above FROM (
    SELECT customer_id, spend, rank, above,
           CASE WHEN lines = 0 THEN 0 WHEN spend <= 0 THEN 1
                WHEN above < :a THEN 2 WHEN above < :b THEN 3 ELSE 4 END AS step
    FROM (SELECT customer_id, spend, lines, row_number() OVER w AS rank,
                 sum(max(spend, 0)) OVER w - max(spend, 0) AS above
          FROM temp.tier_spend
          WINDOW w AS (ORDER BY spend DESC, customer_id ROWS UNBOUNDED PRECEDING)) AS ranked
) AS assigned
ORDER BY customer_id
"""
REASONS = (
    "no purchases in the window",
    "returns outweigh purchases: no net spend",
    "the customers ranked above hold less than 80 % of revenue",
    "the customers ranked above hold 80 % of revenue or more, less than 95 %",
    "the customers ranked above hold 95 % of revenue or more",
)


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def classify(db: sqlite3.Connection, as_of: date) -> str:
    start = year_before(as_of) + timedelta(days=1)  # the window is (as_of - 12 months, as_of]
    end = as_of + timedelta(days=1)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("BEGIN IMMEDIATE")
    db.execute("DROP TABLE IF EXISTS temp.tier_spend")
    db.execute(SPEND, {"start": start.isoformat(), "end": end.isoformat()})
    positive, revenue, _, customers = db.execute(TOTALS).fetchone()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run = db.execute(
        'INSERT INTO tier_runs ("rule", "params", "window", "as_of", "created_at", "customers",'
        ' "revenue_micros", "positive_micros") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [
            "pareto",
            json.dumps({"a": "80", "b": "95"}),
            "12m",
            as_of.isoformat(),
            now,
            customers,
            revenue,
            positive,
        ],
    ).lastrowid
    a = math.ceil(Fraction(80, 100) * positive)
    b = math.ceil(Fraction(95, 100) * positive)
    db.execute(ASSIGN, {"run": run, "a": a, "b": b})
    db.executemany(
        "INSERT INTO tier_run_reasons (run_id, code, reason) VALUES (?, ?, ?)",
        [(run, code, reason) for code, reason in enumerate(REASONS)],
    )
    db.execute("DROP TABLE temp.tier_spend")
    db.execute("COMMIT")
    db.execute("PRAGMA foreign_keys = ON")
    counts = dict(
        db.execute(
            "SELECT tier, count(*) FROM tier_assignments WHERE run_id = ? GROUP BY tier", [run]
        ).fetchall()
    )
    return ",".join(f"{t}={counts.get(t, 0)}" for t in "ABC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--bare", action="store_true", help="Do not import typer.")
    args = parser.parse_args(argv)
    if not args.bare:
        import typer  # noqa: F401  (what every crmcli command loads before it runs)
    db = sqlite3.connect(args.db, isolation_level=None)
    print(classify(db, args.as_of))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
