"""`Engine.copy_csv` (plain CSV text straight into a table), `Engine.read_rows` (a query
read as it runs) and `bulk_loading(keys=True)`: what a server's import is built on."""

from __future__ import annotations

import pytest

COLUMNS = ("date", "item", "note")


def staging(db):
    db.execute("CREATE TEMP TABLE lines (date text NOT NULL, item text NOT NULL, note text)")


def test_plain_csv_goes_in_as_text_and_empty_values_stay_empty(db):
    with db.write():
        staging(db)
        db.copy_csv("lines", COLUMNS, iter(["2025-01-01,tea,\n2025-01-02,", "cup,a note\n"]))
        rows = db.execute("SELECT date, item, note FROM lines").fetchall()
    assert sorted(rows) == [("2025-01-01", "tea", ""), ("2025-01-02", "cup", "a note")]


@pytest.mark.parametrize("text", ["2025-01-01,tea\n", "2025-01-01,tea,,more\n", "\n"])
def test_a_line_of_another_width_is_refused(db, text):
    with db.write():
        staging(db)
        with pytest.raises(db.Error), db.write():
            db.copy_csv("lines", COLUMNS, iter(["2025-01-01,tea,x\n", text]))
        assert db.execute("SELECT count(*) FROM lines").fetchone()[0] == 0


def test_a_failure_of_the_text_comes_out_as_itself(db):
    def pieces():
        yield "2025-01-01,tea,x\n"
        raise LookupError("the file changed")

    with db.write():
        staging(db)
        with pytest.raises(LookupError, match="the file changed"), db.write():
            db.copy_csv("lines", COLUMNS, pieces())
        assert db.execute("SELECT count(*) FROM lines").fetchone()[0] == 0


def test_rows_are_read_while_other_statements_run(db):
    with db.write():
        staging(db)
        db.copy_csv("lines", COLUMNS, iter([f"2025-01-{d:02d},i{d},\n" for d in range(1, 29)]))
        seen = []
        for date, item in db.read_rows(
            "SELECT date, item FROM lines WHERE item <> ? ORDER BY date", ["none"]
        ):
            db.execute("UPDATE lines SET note = ? WHERE item = ?", ["seen", item])
            seen.append(date)
        assert len(seen) == 28 and seen == sorted(seen)
        assert db.execute("SELECT count(*) FROM lines WHERE note = 'seen'").fetchone()[0] == 28


def test_unique_keys_set_aside_come_back_and_still_refuse_a_repeat(db):
    with db.write(), db.bulk_loading(["purchases"], keys=True):
        inside = db.unique_keys("purchases")
        db.execute(
            "INSERT INTO purchases (date, amount_micros, line_key, created_at)"
            " VALUES ('2025-01-01', 1, 'k1', 't'), ('2025-01-02', 2, 'k2', 't')"
        )
    # A server sets the key aside (the caller keeps rows unique); SQLite's is the table's.
    assert (("line_key",) in inside) is (not db.remote)
    assert ("line_key",) in db.unique_keys("purchases")
    with pytest.raises(db.Error), db.write():
        db.execute(
            "INSERT INTO purchases (date, amount_micros, line_key, created_at)"
            " VALUES ('2025-01-03', 3, 'k1', 't')"
        )


def test_a_bulk_load_leaves_the_planner_the_tables_as_they_are(db):
    with db.write(), db.bulk_loading(["purchases"]):
        db.copy_csv(
            "purchases",
            ("date", "amount_micros", "line_key", "created_at"),
            iter([f"2025-01-01,{i},k{i},t\n" for i in range(3000)]),
        )
    assert db.execute("SELECT count(*) FROM purchases").fetchone()[0] == 3000
    if db.remote:  # SQLite's planner reads the tables themselves
        estimate = db.execute("SELECT reltuples FROM pg_class WHERE relname = 'purchases'")
        assert estimate.fetchone()[0] == 3000
