"""Crash safety: a writer killed with SIGKILL at a random moment leaves all or nothing.

See `reliability_crash.py` for how a trial runs. Each write here is one
transaction of many rows; after every kill the file passes `integrity_check` and
`foreign_key_check`, and the write is wholly there or wholly absent.
"""

from __future__ import annotations

from datetime import date

from reliability_crash import integrity, kill_trials

from crmcli import customers, purchases
from crmcli.db import open_db

ROWS = 400
TRIALS = 20


def test_a_killed_multi_row_write_is_all_or_nothing(tmp_path, figures):
    path = tmp_path / "shop.db"
    open_db(path).close()

    def work(n: int):
        def big_write() -> None:
            db = open_db(path)
            with db.write():  # one transaction: customers, their phones, tags, purchases
                for i in range(ROWS):
                    cid = customers.add(
                        db,
                        name=f"손님 {n}-{i}",
                        phones_raw=[f"010-{n:04d}-{i:04d}"],
                        tags=[f"batch-{n}"],
                        notes="x" * 200,
                    )
                    purchases.add(
                        db, customer_id=cid, amount_micros=1_000_000 * (i + 1), on=date(2026, 1, 1)
                    )
            db.close()

        return big_write

    def check(n: int) -> str:
        integrity(path)
        db = open_db(path)
        tagged = db.execute(
            "SELECT count(*) FROM customer_tags WHERE tag = ?", [f"batch-{n}"]
        ).fetchone()[0]
        named = db.execute(
            "SELECT count(*) FROM customers WHERE name LIKE ?", [f"손님 {n}-%"]
        ).fetchone()[0]
        bought = db.execute(
            "SELECT count(*), coalesce(sum(amount_micros), 0) FROM purchases p"
            " JOIN customer_tags t ON t.customer_id = p.customer_id AND t.tag = ?",
            [f"batch-{n}"],
        ).fetchone()
        phones = db.execute(
            "SELECT count(*) FROM customer_phones WHERE raw LIKE ?", [f"010-{n:04d}-%"]
        ).fetchone()[0]
        db.close()
        if named == 0:
            assert (tagged, bought[0], phones) == (0, 0, 0)
            return "absent"
        assert (named, tagged, bought[0], phones) == (ROWS, ROWS, ROWS, ROWS)
        assert bought[1] == 1_000_000 * ROWS * (ROWS + 1) // 2
        return "present"

    result = kill_trials(work, check, trials=TRIALS)
    assert result.count == TRIALS
    assert result.killed > 0
    figures.record(
        "crash.multi_row_write",
        trials=result.count,
        killed=result.killed,
        rows_per_write=ROWS * 4,
        seconds_per_write=round(result.duration, 2),
        wholly_absent=result.outcomes.get("absent", 0),
        wholly_present=result.outcomes.get("present", 0),
        partial=0,
        corrupt=0,
    )
