"""`customers show` reads a customer's purchases in one indexed pass (issue 17 item 4):
the same totals and top lists as the plain queries, and no line read from the table."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from crmcli import buying, customers, launches, page, purchases, tiers, visits

DAY = date(2026, 6, 30)

# The top lists as they were defined before the single pass: one query per list.
_TOP_SQL = """
    SELECT {by} AS name, count(*) AS lines, sum(amount_micros) AS spent_micros
    FROM purchases WHERE customer_id = ? AND {by} IS NOT NULL AND {by} != ''
    GROUP BY {by} HAVING sum(amount_micros) > 0
    ORDER BY spent_micros DESC, lines DESC, name LIMIT ?"""


def _shop(db, seed: int) -> list[int]:
    rnd = random.Random(seed)
    items = [None, "", "Latte", "latte", "Beans 1kg", "원두", "Mug", "Filter", "ケーキ"]
    categories = [None, "", "drinks", "beans", "goods", "Drinks"]
    with db.write():
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


@pytest.mark.sqlite_only("SQLite's query plans, traced statement by statement")
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


def _shares_summed(db, run_id: int) -> dict[int, Fraction | None]:
    """Each customer's share above, summed over the whole run as it used to be."""
    total = db.execute(
        "SELECT sum(max(spend_micros, 0)) FROM tier_assignments WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    out = {}
    for cid, rank in db.execute(
        "SELECT customer_id, rank FROM tier_assignments WHERE run_id = ?", [run_id]
    ).fetchall():
        above = db.execute(
            "SELECT coalesce(sum(max(spend_micros, 0)), 0) FROM tier_assignments"
            " WHERE run_id = ? AND rank < ?",
            [run_id, rank],
        ).fetchone()[0]
        out[cid] = Fraction(above, total) if total else None
    return out


def _tiered_shop(db) -> list[int]:
    spends = [500, 300, 300, 100, -20, 0, None, 50, 5]  # ties, a refund, nothing bought
    with db.write():
        ids = [customers.add(db, name=f"c{i}") for i in range(len(spends))]
        for cid, amount in zip(ids, spends, strict=True):
            if amount is not None:
                purchases.add(db, customer_id=cid, amount_micros=amount * 1_000_000, on=DAY)
    return ids


@pytest.mark.parametrize("rule", ["pareto", "top-share", "growth"])
def test_a_customers_share_above_is_stored_by_classification(db, rule):
    ids = _tiered_shop(db)
    run = tiers.classify(db, rule=rule, as_of=DAY)
    expected = _shares_summed(db, run.id)
    assert {cid: tiers.share_above(db, run.id, cid) for cid in ids} == expected
    assert expected[ids[1]] == Fraction(500, 1255)  # 500 of 500+300+300+100+50+5
    stored = db.execute(
        "SELECT count(*) FROM tier_assignments WHERE run_id = ? AND above_micros IS NULL",
        [run.id],
    ).fetchone()[0]
    assert stored == 0


def test_runs_made_before_get_their_shares_from_the_migration(db):
    from crmcli.migrations import m122_tier_shares

    ids = _tiered_shop(db)
    runs = [tiers.classify(db, as_of=DAY).id, tiers.classify(db, rule="top-share", as_of=DAY).id]
    expected = {run: _shares_summed(db, run) for run in runs}
    with db.write():  # the schema before m122, runs and all
        db.execute("ALTER TABLE tier_assignments DROP COLUMN above_micros")
        db.execute("ALTER TABLE tier_runs DROP COLUMN positive_micros")
        m122_tier_shares.migrate(db)
    for run in runs:
        assert {cid: tiers.share_above(db, run, cid) for cid in ids} == expected[run]
    assert not db.execute("SELECT 1 FROM tier_assignments WHERE above_micros IS NULL").fetchall()


def test_a_run_stored_without_its_sums_still_gives_each_share(db):
    ids = _tiered_shop(db)
    run = tiers.classify(db, as_of=DAY).id
    expected = _shares_summed(db, run)
    with db.write():
        db.execute("UPDATE tier_assignments SET above_micros = NULL")
        db.execute("UPDATE tier_runs SET positive_micros = NULL")
    assert {cid: tiers.share_above(db, run, cid) for cid in ids} == expected


@pytest.mark.parametrize("seed", range(6))
def test_one_customers_rhythm_reads_days_and_agrees_with_every_customers(db, seed):
    rnd = random.Random(seed)
    ids = _shop(db, seed)
    with db.write():  # lines stamped with a time too: several on one day count once
        for _ in range(60):
            db.execute(
                "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
                " VALUES (?, ?, ?, '2026-01-01')",
                [
                    rnd.choice(ids[:3]),
                    f"2025-0{rnd.randrange(1, 4)}-1{rnd.randrange(0, 3)}T1{rnd.randrange(10)}:00",
                    rnd.choice([-1, 2, 3]) * 1_000_000,
                ],
            )
    every = {r["id"]: r for r in buying.attitudes(db, as_of=DAY)}
    for cid in ids:
        one = buying.suggest_attitude(db, cid, as_of=DAY)
        row = every[cid]
        assert (one.suggested, one.visits, one.last, one.days_since, one.interval_days) == (
            row["suggested"],
            row["visits"],
            row["last"],
            row["days_since"],
            row["interval_days"],
        ), cid


def test_show_as_csv_gives_this_customers_record_archived_or_not(cli, db_path):
    from crmcli.db import open_db

    db = open_db(db_path)
    with db.write():
        customers.add(db, name="Ann", code="A1", extra={"Loyalty card": "LC-1"})
        customers.add(db, name="Bob", code="B1", extra={"紹介者": "Ann"})
    db.close()
    header, row = cli("customers", "show", "A1", "--format", "csv").stdout.splitlines()
    # Its own extra fields (the others' are not read: that was every customer at 1M).
    assert [h for h in header.split(",") if h.startswith("extra.")] == ["extra.Loyalty card"]
    assert row.startswith(tuple(f"{i},A1,Ann," for i in range(1, 3)))
    cli("customers", "archive", "B1")
    lines = cli("customers", "show", "B1", "--format", "csv").stdout.splitlines()
    assert len(lines) == 2 and ",B1,Bob," in lines[1] and "extra.紹介者" in lines[0]


def _steps(db, work) -> int:
    """The hundreds of SQLite virtual-machine steps `work` takes: what its queries read,
    counted without a clock."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    db.conn.set_progress_handler(tick, 100)
    try:
        work()
    finally:
        db.conn.set_progress_handler(None, 0)
    return steps[0]


@pytest.mark.sqlite_only("counts SQLite's virtual-machine steps")
def test_the_rhythm_and_early_buys_cost_a_seek_per_day_and_item_not_a_read_per_line(db):
    # Two customers buying the same four items on the same five days, one line a day
    # each or 400: the page's attitude walks days and items, so both cost the same.
    with db.write():
        few, many = customers.add(db, name="Few"), customers.add(db, name="Many")
        db.executemany(
            "INSERT INTO purchases (customer_id, date, amount_micros, item, category,"
            " created_at) VALUES (?, ?, ?, ?, 'goods', '2026-01-01')",
            [
                (cid, f"2026-0{month}-1{month}T10:{line % 60:02}", amount, f"Item {item}")
                for cid, lines in ((few, 1), (many, 400))
                for month in range(1, 6)
                for item in range(4)
                for line in range(lines)
                for amount in ((-1_000_000, 2_000_000) if line % 7 == 0 else (3_000_000,))
            ],
        )
    expected = (5, "2026-05-15", Decimal("31.0"))  # days, the last, the usual interval
    for cid in (few, many):  # the same answer as every customer's rhythm
        one = buying.suggest_attitude(db, cid, as_of=DAY)
        row = next(r for r in buying.attitudes(db, as_of=DAY) if r["id"] == cid)
        assert (one.visits, one.last, one.interval_days) == expected
        assert (row["visits"], row["last"], row["interval_days"]) == expected
    cost = {
        cid: _steps(db, lambda cid=cid: buying.suggest_attitude(db, cid, as_of=DAY))
        for cid in (few, many)
    }
    assert cost[many] <= cost[few] + 3, cost


@pytest.mark.sqlite_only("counts SQLite's virtual-machine steps")
def test_the_visit_record_starts_from_the_customers_plans_not_the_contact_log(db):
    # The page's visits under plans (cancelled ones too) cost the same whatever the
    # rest of the shop logged: before, every contact of the shop was read (m133).
    with db.write():
        ann, bob = customers.add(db, name="Ann"), customers.add(db, name="Bob")
    first, _ = visits.plan(db, customer_id=ann, every="2w", goal="refill", from_day=DAY)
    visits.log_visit(db, customer_id=ann, outcome="met", at="2026-07-01T10:00:00")
    visits.plan(db, customer_id=ann, every="4w", goal="tasting", from_day=DAY)  # replaces it
    visits.log_visit(db, customer_id=ann, outcome="not-met", at="2026-07-20T10:00:00")
    before = _steps(db, lambda: visits.record(db, ann))
    with db.write():
        db.executemany(
            "INSERT INTO contacts (customer_id, at, channel) VALUES (?, ?, 'call')",
            [(bob, f"2026-0{1 + i % 6}-{1 + i % 28:02}T09:00:00") for i in range(3000)],
        )
    record = visits.record(db, ann)
    assert (record["visits"], record["goals_met"]) == (2, 1)
    assert [r["goal"] for r in record["recent"]] == ["tasting", "refill"]
    assert first.id != record["plan"]["id"]
    assert _steps(db, lambda: visits.record(db, ann)) <= before + 2
    # …and the customer's plans are a seek too, however many plans the shop has.
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    visits.record(db, ann)
    db.conn.set_trace_callback(None)
    listing = next(s for s in statements if "FROM visit_plans p CROSS JOIN" in s)
    plan = [str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + listing)]
    assert any("visit_plans_customer (customer_id=?)" in step for step in plan[:1]), plan


def _launch_shop(db, seed: int) -> list[int]:
    """Items on sale from the start and launched later, launch days set by hand (before,
    after and without any sale), returns, a line with no item or an empty one, lines
    after the day asked about: what the early buys of one customer must tell apart."""
    rnd = random.Random(seed)
    items = [f"Item {i}" for i in range(12)] + [""]
    with db.write():
        ids = [customers.add(db, name=f"Customer {i}") for i in range(5)]
        for _ in range(rnd.randrange(40, 300)):
            db.execute(
                "INSERT INTO purchases (customer_id, date, amount_micros, item,"
                " created_at) VALUES (?, ?, ?, ?, '2026-01-01')",
                [
                    rnd.choice(ids[:4]),  # the fifth never buys
                    f"2026-{rnd.randrange(1, 13):02}-{rnd.randrange(1, 29):02}",
                    rnd.choice([-2, 0, 3, 3, 5]) * 1_000_000,
                    rnd.choice([*items, None]),
                ],
            )
    for item in rnd.sample([*items[:12], "Never sold"], 4):
        launches.set_launch(db, item=item, on=date(2026, rnd.randrange(1, 13), 15))
    return ids


@pytest.mark.parametrize("seed", range(8))
def test_early_buys_from_the_items_the_page_read_are_those_found_in_the_lines(db, seed):
    # The page hands the attitude the items its one pass read (returns and lines after
    # the day too); the early buys are the ones the walk through their lines finds.
    ids = _launch_shop(db, seed)
    found = 0
    for cid in ids:
        items = buying.bought(db, cid).items
        for day in (date(2026, 2, 1), date(2026, 7, 1), date(2027, 1, 1)):
            walked = launches.early_items(db, cid, as_of=day)
            assert launches.early_items(db, cid, as_of=day, items=items) == walked, (cid, day)
            one = buying.suggest_attitude(db, cid, as_of=day, items=items)
            assert one == buying.suggest_attitude(db, cid, as_of=day), (cid, day)
            found += len(walked)
    assert found  # some early buys to agree on


@pytest.mark.sqlite_only("SQLite's query plans, traced statement by statement")
def test_the_page_reads_the_customers_items_once(db):
    # The totals and top lists read every (item, category) of the customer in one pass;
    # the early buys take their items from it instead of walking their lines again.
    cid = _launch_shop(db, 3)[0]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    data = page.build(db, cid, as_of=date(2026, 7, 1))
    db.conn.set_trace_callback(None)
    assert data["tier"]["attitude"]["bought_early"] == launches.early_items(
        db, cid, as_of=date(2026, 7, 1)
    )
    reading = [
        sql
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "WITH"))
        and any(
            "purchases_customer_item" in str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + sql)
        )
    ]
    assert len(reading) == 1 and "GROUP BY item, category" in reading[0], reading


def test_the_recent_lines_are_asked_for_as_ten(db):
    # The page's ten newest lines come from a query that says so: a server's cursor
    # sends every row it is asked for (the biggest buyer's 32,642 lines at 100k).
    cid = _shop(db, 5)[0]
    every = list(purchases.rows(db, customer_id=cid))
    assert len(every) > 10
    assert list(purchases.rows(db, customer_id=cid, limit=10)) == every[:10]
    statements: list[str] = []
    if db.name == "sqlite":
        db.conn.set_trace_callback(statements.append)
    recent = page.build(db, cid)["purchases"]["recent"]
    assert [(r["date"], r["item"]) for r in recent] == [(r["date"], r["item"]) for r in every[:10]]
    if db.name == "sqlite":
        db.conn.set_trace_callback(None)
        (listing,) = (s for s in statements if "ORDER BY p.date DESC" in s)
        assert listing.rstrip().endswith("LIMIT 10"), listing


@pytest.mark.sqlite_only("counts SQLite's virtual-machine steps; ANALYZE's statistics")
def test_one_customers_early_buys_never_read_the_whole_shop(db):
    # Once ANALYZE has counted the tables, SQLite put a Bloom filter in front of the
    # early buys' join, built from every line of the shop: 20,000 lines bought by
    # others, of other items, made one customer's early buys read them all.
    rnd = random.Random(4)
    with db.write():
        ann, others = customers.add(db, name="Ann"), customers.add(db, name="Others")
        db.executemany(
            "INSERT INTO purchases (customer_id, date, amount_micros, item, created_at)"
            " VALUES (?, ?, 3000000, ?, '2026-01-01')",
            [(ann, f"2025-{m:02}-1{m % 9}", f"New {m}") for m in range(1, 13)]
            + [(others, "2024-01-02", f"New {m}") for m in range(1, 4)],  # on sale before
        )

    def cost() -> int:
        db.execute("ANALYZE")
        items = buying.bought(db, ann).items
        found = launches.early_items(db, ann, as_of=DAY, items=items)
        assert found == sorted(f"New {m}" for m in range(4, 13))  # New 1-3 were on sale
        return _steps(db, lambda: launches.early_items(db, ann, as_of=DAY, items=items))

    before = cost()
    with db.write():
        db.executemany(
            "INSERT INTO purchases (customer_id, date, amount_micros, item, created_at)"
            " VALUES (?, ?, 2000000, ?, '2026-01-01')",
            [
                (
                    others,
                    f"202{rnd.randrange(3, 6)}-0{rnd.randrange(1, 10)}-1{rnd.randrange(10)}",
                    f"Old {rnd.randrange(300)}",
                )
                for _ in range(20_000)
            ],
        )
    assert cost() <= before + 3, before
