"""`Engine.insert_new`: how an import's batch goes in (SQLite: one statement stepped over
the rows; PostgreSQL: COPY into a staging table, then one set-based INSERT)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.engines

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
