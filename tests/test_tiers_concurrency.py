"""`tiers classify` while a till adds purchases: every run is one consistent picture.

On SQLite the write lock puts one before the other; on a server both run at once, and
a run must still add up: its revenue is the sum of its customers' spend, its counts
those of its assignments (classify reads the purchases once, into one table, in one
statement: what a later statement of the run sees comes from that same snapshot).
"""

from __future__ import annotations

import threading
from datetime import date

from crmcli import customers, purchases, tiers
from crmcli.db import open_db
from crmcli.db_url import parse

AS_OF = date(2026, 3, 31)


def test_a_run_adds_up_while_purchases_come_in(db_path):
    def connect():
        return open_db(parse(str(db_path), source="the test"))

    shop = connect()
    ids = [customers.add(shop, name=f"Customer {i}") for i in range(40)]
    for n, cid in enumerate(ids):
        purchases.add(shop, customer_id=cid, amount_micros=(n + 1) * 1_000_000, on=AS_OF)
    stop = threading.Event()
    added: list[int] = []
    failures: list[BaseException] = []

    def till() -> None:  # a second connection: another machine's till
        other = connect()
        try:
            n = 0
            while not stop.is_set():
                cid = ids[n % len(ids)]
                purchases.add(other, customer_id=cid, amount_micros=7_000_000, on=AS_OF)
                added.append(cid)
                n += 1
        except BaseException as exc:  # surfaced in the test below
            failures.append(exc)
        finally:
            other.close()

    worker = threading.Thread(target=till)
    worker.start()
    runs = []
    try:
        for _ in range(6):
            runs.append(tiers.classify(shop, as_of=AS_OF, rule="pareto"))
    finally:
        stop.set()
        worker.join(timeout=60)
    assert not failures, failures
    assert added, "the till added nothing while the runs went on"
    for run in runs:
        spend, count = shop.execute(
            "SELECT coalesce(sum(spend_micros), 0), count(*) FROM tier_assignments"
            " WHERE run_id = ?",
            [run.id],
        ).fetchone()
        assert (spend, count) == (run.revenue_micros, run.customers), run
        assert sum(run.counts.values()) == run.customers
    # The last run saw at least what was committed before it began: nothing lost.
    final = tiers.classify(shop, as_of=AS_OF, rule="pareto")
    total = shop.execute("SELECT sum(amount_micros) FROM purchases").fetchone()[0]
    assert final.revenue_micros == total
    shop.close()
