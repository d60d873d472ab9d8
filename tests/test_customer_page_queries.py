"""`customers show` reads a customer's purchases in one indexed pass (issue 17 item 4):
the same totals and top lists as the plain queries, and no line read from the table."""

from __future__ import annotations

import random

import pytest

from crmcli import buying, customers, page, purchases
from crmcli.db import write

# The top lists as they were defined before the single pass: one query per list.
_TOP_SQL = """
    SELECT {by} AS name, count(*) AS lines, sum(amount_micros) AS spent_micros,
           max(date) AS last
    FROM purchases WHERE customer_id = ? AND {by} IS NOT NULL AND {by} != ''
    GROUP BY {by} HAVING sum(amount_micros) > 0
    ORDER BY spent_micros DESC, lines DESC, name LIMIT ?"""


def _shop(db, seed: int) -> list[int]:
    rnd = random.Random(seed)
    items = [None, "", "Latte", "latte", "Beans 1kg", "원두", "Mug", "Filter", "ケーキ"]
    categories = [None, "", "drinks", "beans", "goods", "Drinks"]
    with write(db):
        ids = [customers.add(db, name=f"Customer {i}") for i in range(4)]
        for _ in range(rnd.randrange(0, 400)):
            amount = rnd.choice([-3, 1, 2, 5, 5, 10, 0]) * 1_000_000  # returns, ties, zero
            db.execute(
                "INSERT INTO purchases (customer_id, date, amount_micros, item, category,"
                " created_at) VALUES (?, ?, ?, ?, ?, '2026-01-01')",
                [
                    rnd.choice(ids[:3]),  # the fourth never buys
                    f"2025-{rnd.randrange(1, 13):02}-{rnd.randrange(1, 29):02}",
                    amount,
                    rnd.choice(items),
                    rnd.choice(categories),
                ],
            )
    return ids


@pytest.mark.parametrize("seed", range(12))
def test_one_pass_gives_the_totals_and_top_lists_of_the_plain_queries(db, seed):
    for cid in _shop(db, seed):
        got = buying.bought(db, cid, limit=3)
        totals = purchases.totals(db, cid)
        assert (got.lines, got.total_micros, got.first, got.last) == (
            totals["count"],
            totals["total_micros"],
            totals["first"],
            totals["last"],
        )
        for by in ("item", "category"):
            cursor = db.execute(_TOP_SQL.format(by=by), [cid, 3])
            columns = [d[0] for d in cursor.description]
            assert got.top[by] == [dict(zip(columns, r, strict=True)) for r in cursor], by


def test_the_page_reads_purchases_from_indexes_only(db):
    # Summing a customer's lines reads index entries, never the table row by row, and
    # never sorts them; only the ten most recent lines are read from the table.
    cid = _shop(db, 1)[0]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    page.build(db, cid)
    db.conn.set_trace_callback(None)
    seen = 0
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        plan = [str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + sql)]
        if "GROUP BY item, category" in sql:  # the totals and top lists: no sorting
            assert "USE TEMP B-TREE FOR GROUP BY" not in plan, (sql, plan)
        for step in plan:
            if "purchases_customer_" in step and "(customer_id=?" in step:
                seen += 1
                recent = "ORDER BY p.date DESC" in sql
                assert "COVERING INDEX" in step or recent, (sql, plan)
    assert seen >= 3
