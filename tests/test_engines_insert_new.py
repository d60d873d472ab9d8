"""`Engine.insert_new`: how an import's batch goes in (SQLite: one statement stepped over
the rows; PostgreSQL: COPY into a staging table, then one set-based INSERT)."""

from __future__ import annotations

import pytest

COLUMNS = ("date", "amount_micros", "quantity", "line_key", "note")
FIXED = {"created_at": "2026-01-01T00:00:00Z", "item": "it's"}


def stored(db):
    return db.execute(
        "SELECT id, date, amount_micros, quantity, line_key, note, item, created_at"
        " FROM purchases ORDER BY id"
    ).fetchall()


def test_new_rows_go_in_in_order_and_stored_keys_are_left_out(db):
    with db.write():
        first = db.insert_new(
            "purchases",
            COLUMNS,
            iter([("2025-01-02", 5_000_000, 2, "b", None), ("2025-01-01", 1, None, "a", "x")]),
            fixed=FIXED,
            key="line_key",
        )
    assert first == 2
    rows = [
        ("2025-02-01", 7, 1.5, "c", "tab\there"),
        ("2025-02-02", 8, None, "a", None),  # stored already
        ("2025-02-03", 9, None, "d", 'quote " and \\ backslash'),
        ("2025-02-04", 10, None, "c", None),  # repeats a row of this batch
    ]
    with db.write():
        second = db.insert_new("purchases", COLUMNS, iter(rows), fixed=FIXED, key="line_key")
    assert second == 2
    got = stored(db)
    assert [r[4] for r in got] == ["b", "a", "c", "d"]  # the file's order, ids ascending
    assert [r[0] for r in got] == sorted(r[0] for r in got)
    assert got[2][1:7] == ("2025-02-01", 7, 1.5, "c", "tab\there", "it's")
    assert got[3][5] == 'quote " and \\ backslash'
    assert {r[7] for r in got} == {"2026-01-01T00:00:00Z"}


def test_rows_inserted_in_a_transaction_that_fails_are_not_kept(db):
    with pytest.raises(RuntimeError), db.write():
        db.insert_new(
            "purchases",
            COLUMNS,
            iter([("2025-01-01", 1, None, "a", None)]),
            fixed=FIXED,
            key="line_key",
        )
        raise RuntimeError("the import is refused")
    assert stored(db) == []
    with db.write():  # and the next one starts afresh (the staging table went with it)
        assert (
            db.insert_new(
                "purchases",
                COLUMNS,
                iter([("2025-01-01", 1, None, "a", None)]),
                fixed=FIXED,
                key="line_key",
            )
            == 1
        )
    assert len(stored(db)) == 1


def test_purchases_import_stores_the_same_rows_on_both_engines(db, tmp_path, monkeypatch):
    """The import's batches through `insert_new` (and, on a server, every customer code
    read at once): same counts, same rows, re-import unchanged, a changed line updated."""

    from crmcli import customers
    from crmcli.imports import purchases as purchase_import

    # A big import (indexes set aside, then built) as well as the batching, on 12 lines.
    bulk = purchase_import.INDEX_UPKEEP._replace(min_rows=5)
    monkeypatch.setattr(purchase_import, "INDEX_UPKEEP", bulk)
    monkeypatch.setattr(purchase_import, "BATCH", 5)
    with db.write():
        customers.add(db, code="K1", name="Kim")
        customers.add(db, code="L2", name="Lee")
    lines = [
        f"{'K1' if i % 3 else 'L2'},2025-03-{i + 1:02d},{i}.50,O{i // 2},item {i}"
        for i in range(12)
    ]
    path = tmp_path / "p.csv"
    path.write_text("customer,date,amount,order_id,item\n" + "\n".join(lines) + "\n")
    first = purchase_import.import_purchases(db, path)
    assert (first.counts.added, first.counts.updated) == (12, 0)
    rows = db.execute(
        "SELECT id, customer_id, date, amount_micros, order_id, line_no, item FROM purchases"
        " ORDER BY id"
    ).fetchall()
    assert rows[:3] == [
        (1, 2, "2025-03-01", 500_000, "O0", 1, "item 0"),
        (2, 1, "2025-03-02", 1_500_000, "O0", 2, "item 1"),
        (3, 1, "2025-03-03", 2_500_000, "O1", 1, "item 2"),
    ]
    assert [r[0] for r in rows] == list(range(1, 13))
    again = purchase_import.import_purchases(db, path)
    assert (again.counts.added, again.counts.unchanged) == (0, 12)
    path.write_text(
        "customer,date,amount,order_id,item\n" + "\n".join(lines).replace("5.50", "5.75") + "\n"
    )
    changed = purchase_import.import_purchases(db, path)
    assert (changed.counts.added, changed.counts.updated, changed.counts.unchanged) == (0, 1, 11)
    assert db.execute("SELECT amount_micros FROM purchases WHERE id = 6").fetchone()[0] == 5_750_000
