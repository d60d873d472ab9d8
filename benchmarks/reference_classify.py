"""The SQL reference for `crmcli tiers classify`: the pareto ranking as one window query.

    python benchmarks/reference_classify.py DB --as-of 2025-12-01 [--months 12]

Net spend per customer over the window (returns subtract), highest first, ties
by id; a customer is A while the customers ranked above hold less than 80 % of
the revenue, B below 95 %, C otherwise; customers with no purchases in the
window are C. Every customer's row is fetched, as classify must see them all.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import Counter
from datetime import date

RANKING = """
WITH spend AS (
    SELECT customer_id, sum(amount_micros) AS spend
    FROM purchases
    WHERE date > :start AND date <= :end
    GROUP BY customer_id
),
ranked AS (
    SELECT c.id, coalesce(s.spend, 0) AS spend,
           row_number() OVER w AS rank,
           coalesce(sum(max(s.spend, 0)) OVER w, 0) - max(coalesce(s.spend, 0), 0) AS above
    FROM customers c LEFT JOIN spend s ON s.customer_id = c.id
    WHERE c.archived_at IS NULL AND c.forgotten_at IS NULL
    WINDOW w AS (ORDER BY coalesce(s.spend, 0) DESC, c.id ROWS UNBOUNDED PRECEDING)
),
total AS (SELECT sum(max(spend, 0)) AS revenue FROM ranked)
SELECT id, spend, rank,
       CASE WHEN spend <= 0 THEN 'C'
            WHEN above < :a * revenue THEN 'A'
            WHEN above < :b * revenue THEN 'B'
            ELSE 'C' END AS tier
FROM ranked, total
ORDER BY rank
"""


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (31 May - 3 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args(argv)
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    start = months_before(args.as_of, args.months)
    params = {"start": start.isoformat(), "end": args.as_of.isoformat(), "a": 0.8, "b": 0.95}
    rows = db.execute(RANKING, params).fetchall()
    counts = Counter(tier for *_, tier in rows)
    print(",".join(f"{t}={counts[t]}" for t in "ABC"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
