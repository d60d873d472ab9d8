"""purchases import: Superstore, idempotency, returns, problems, rejects, a killed import."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from crmcli import customers
from crmcli.db import open_db
from crmcli.errors import InvalidInput, InvalidValue
from crmcli.imports import journal
from crmcli.imports.purchases import import_purchases
from crmcli.imports.undo import undo as undo_import
from tests.conftest import FIXTURES

# What `imports undo` lacks on a server: import_changes has no key, and the order its
# records were written in (SQLite's rowid) needs a column there (a migration).

SUPERSTORE = FIXTURES / "superstore-us.csv"


def total(db):
    return db.execute("SELECT count(*), coalesce(sum(amount_micros), 0) FROM purchases").fetchone()


def sales_total() -> Decimal:
    with SUPERSTORE.open(encoding="utf-8-sig", newline="") as f:
        return sum((Decimal(row["Sales"]) for row in csv.DictReader(f)), Decimal(0))


def test_superstore_with_create_customers(db):
    result = import_purchases(db, SUPERSTORE, create_customers=True)
    assert result.counts.added == 9994
    assert result.customers_created == 793
    assert customers.count(db) == 793
    lines, micros = total(db)
    assert lines == 9994
    assert Decimal(micros) / 1_000_000 == sales_total()
    claire = customers.get(db, customers.resolve(db, "CG-12520"))
    assert claire["name"] == "Claire Gute"
    first = db.execute("SELECT date, quantity, item FROM purchases WHERE line_id = '1'").fetchone()
    assert first == ("2016-11-08", 2, "Bush Somerset Collection Bookcase")  # MM-DD-YY


def test_superstore_again_changes_nothing(db):
    import_purchases(db, SUPERSTORE, create_customers=True)
    again = import_purchases(db, SUPERSTORE, create_customers=True)
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 9994)
    assert total(db)[0] == 9994


def test_without_line_ids_identical_lines_of_one_order_are_both_kept(db):
    result = import_purchases(db, SUPERSTORE, create_customers=True, mapping={"Row ID": "ignore"})
    assert result.counts.added == 9994
    pair = db.execute(
        "SELECT line_key FROM purchases WHERE order_id = 'US-2014-150119'"
        " AND item LIKE 'Global Leather Highback%' ORDER BY line_no"
    ).fetchall()
    assert len(pair) == 2 and pair[0] != pair[1]
    again = import_purchases(db, SUPERSTORE, create_customers=True, mapping={"Row ID": "ignore"})
    assert (again.counts.added, again.counts.unchanged) == (0, 9994)


def uci(tmp_path):
    path = tmp_path / "retail.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
        "C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom\n"
        "536520,21123,SET 10 LIGHTS,1,12/13/2010 12:00,1.25,14527,United Kingdom\n",
        encoding="utf-8",
    )
    return path


def test_quantity_times_unit_price_and_returns(db, tmp_path):
    result = import_purchases(db, uci(tmp_path), create_customers=True)
    assert result.counts.added == 4
    rows = db.execute("SELECT order_id, date, amount_micros FROM purchases ORDER BY id").fetchall()
    assert rows[0] == ("536365", "2010-12-01", 15_300_000)
    assert rows[2] == ("C536379", "2010-12-01", -27_500_000)
    assert total(db)[1] == 15_300_000 + 20_340_000 - 27_500_000 + 1_250_000


def test_decimal_commas_in_a_semicolon_file(db, tmp_path):
    customers.add(db, code="K1", name="Kim")
    path = tmp_path / "de.csv"
    path.write_text("Kunde;Datum;Betrag\nK1;2024-03-01;1.234,50\nK1;2024-03-02;-0,5\n", "utf-8")
    import_purchases(db, path, mapping={"Kunde": "customer", "Datum": "date", "Betrag": "amount"})
    assert [r[0] for r in db.execute("SELECT amount_micros FROM purchases")] == [
        1_234_500_000,
        -500_000,
    ]


def bad_file(tmp_path):
    lines = ["customer,date,amount,item"]
    lines += [f"K1,2024-01-{d:02d},{d}000,coffee" for d in range(1, 21)]
    lines[11] = "K1,2024-13-45,5000,coffee"
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_bad_row_in_the_middle_changes_nothing_and_names_the_line(db, tmp_path):
    customers.add(db, code="K1", name="Kim")
    with pytest.raises(InvalidInput) as info:
        import_purchases(db, bad_file(tmp_path))
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.field) == ("p.csv", 12, "date")
    assert total(db) == (0, 0)
    assert list(journal.list_imports(db)) == []


def test_skip_invalid_rejects_exactly_that_row(db, tmp_path):
    customers.add(db, code="K1", name="Kim")
    path = bad_file(tmp_path)
    result = import_purchases(db, path, skip_invalid=True)
    assert (result.counts.added, result.counts.rejected) == (19, 1)
    with result.rejects.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["customer", "date", "amount", "item", "reason"]
    assert rows[1][:4] == ["K1", "2024-13-45", "5000", "coffee"]
    assert len(rows) == 2


def test_rows_naming_an_unknown_customer_are_reported(db, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("customer,date,amount\n,2024-01-01,100\nNOPE,2024-01-01,100\n", "utf-8")
    with pytest.raises(InvalidInput) as info:
        import_purchases(db, path)
    # The line with no customer is an anonymous sale, not a problem.
    assert [p.message.split(" (")[0] for p in info.value.problems] == [
        "no customer with code 'NOPE'",
    ]


def test_a_changed_line_is_updated_and_undo_puts_it_back(db, tmp_path):
    customers.add(db, code="K1", name="Kim")
    path = tmp_path / "p.csv"
    path.write_text("customer,order,date,amount\nK1,O1,2024-01-01,100\nK1,O1,2024-01-01,5\n")
    first = import_purchases(db, path)
    path.write_text("customer,order,date,amount\nK1,O1,2024-01-01,120\nK1,O1,2024-01-01,5\n")
    second = import_purchases(db, path)
    assert (second.counts.updated, second.counts.unchanged) == (1, 1)
    assert total(db) == (2, 125_000_000)
    undo_import(db, second.import_id)
    assert total(db) == (2, 105_000_000)
    undo_import(db, first.import_id)
    assert total(db) == (0, 0)


def test_undo_of_create_customers_removes_them(db):
    result = import_purchases(db, SUPERSTORE, create_customers=True)
    undo_import(db, result.import_id)
    assert total(db) == (0, 0)
    assert customers.count(db) == 0


def test_duplicate_line_ids_are_problems(db, tmp_path):
    customers.add(db, code="K1")
    path = tmp_path / "p.csv"
    path.write_text("customer,line id,date,amount\nK1,A,2024-01-01,1\nK1,A,2024-01-02,2\n")
    with pytest.raises(InvalidInput, match="1 line of 2 has problems"):
        import_purchases(db, path)


def test_missing_required_column_is_bad_input(db, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("who,when\nK1,2024-01-01\n")
    with pytest.raises(InvalidValue, match="customer"):
        import_purchases(db, path)


@pytest.mark.slow
def test_a_killed_import_leaves_the_database_as_it_was(tmp_path):
    db_path = tmp_path / "shop.db"
    db = open_db(db_path)
    customers.add(db, code="KEEP", name="Kept")
    db.close()
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as f:
        f.write("customer,date,amount,item\n")
        for i in range(300_000):
            f.write(f"C{i % 5000},2024-01-{i % 28 + 1:02d},{i}.25,item {i}\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmcli", "--db", str(db_path), "purchases", "import", str(big),
         "--create-customers"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wal = tmp_path / "shop.db-wal"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = open_db(db_path)
    assert [r["code"] for r in customers.rows(db)] == ["KEEP"]
    assert total(db) == (0, 0)
    assert list(journal.list_imports(db)) == []
    from crmcli.db import check

    assert check(db) == []


def test_cli_profile_saves_the_mapping_and_dry_run_writes_nothing(cli, tmp_path):
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    path = tmp_path / "p.tsv"
    path.write_text("고객\t일자\t합계\nK1\t2024/03/01\t1,000\n", encoding="utf-8")
    dry = cli("purchases", "import", str(path), "--map", "일자=date", "--map", "합계=amount",
              "--save-profile", "pos", "--dry-run")  # fmt: skip
    assert "dry run" in dry.stderr and "would add 1" in dry.stderr
    assert cli("purchases", "list").stdout.count("\n") == 1
    cli("purchases", "import", str(path), "--profile", "pos")
    rows = list(csv.DictReader(io.StringIO(cli("purchases", "export").stdout)))
    assert [(r["customer"], r["date"], r["amount"]) for r in rows] == [("K1", "2024-03-01", "1000")]
    undone = cli("imports", "undo", "2", ok=False)
    assert undone.exit_code == 1 and "no import #2" in undone.stderr
    cli("imports", "undo", "1")
    assert cli("purchases", "list").stdout.count("\n") == 1


def purchase_indexes(db):
    return sorted(
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'purchases'"
        )
    )


@pytest.mark.sqlite_only(
    "sqlite_master and EXPLAIN QUERY PLAN; the server side: test_engines_insert_new"
)
def test_a_bulk_import_rebuilds_its_indexes_and_a_failed_one_keeps_them(db, tmp_path, monkeypatch):
    from crmcli.imports import purchases as purchase_import

    bulk = purchase_import.INDEX_UPKEEP._replace(min_rows=5)
    monkeypatch.setattr(purchase_import, "INDEX_UPKEEP", bulk)
    customers.add(db, code="K1", name="Kim")
    indexes = purchase_indexes(db)
    assert "purchases_customer_date" in indexes
    with pytest.raises(InvalidInput):
        import_purchases(db, bad_file(tmp_path))
    assert purchase_indexes(db) == indexes
    import_purchases(db, bad_file(tmp_path), skip_invalid=True)
    assert purchase_indexes(db) == indexes
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM purchases WHERE customer_id = 1 AND date > '2024'"
    ).fetchall()
    assert "purchases_customer_date" in str(plan)


@pytest.mark.sqlite_only("SQLite's page cache as the index sort budget; a server sizes its own")
def test_a_bulk_import_sorts_its_indexes_within_the_default_cache(db, tmp_path, monkeypatch):
    """The import's big page cache is also every CREATE INDEX's sort budget: memory grew
    with the file (240 MB at 10M lines). The indexes are built with the default cache."""
    from crmcli.imports import purchases as purchase_import

    monkeypatch.setattr(
        purchase_import, "INDEX_UPKEEP", purchase_import.INDEX_UPKEEP._replace(min_rows=5)
    )
    customers.add(db, code="A", name="A")
    default = db.execute("PRAGMA cache_size").fetchone()[0]
    path = tmp_path / "p.csv"
    path.write_text(
        "customer,date,amount\n" + "".join(f"A,2025-01-{d:02d},{d}.5\n" for d in range(1, 29)),
        encoding="utf-8",
    )
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        import_purchases(db, path)
    finally:
        db.conn.set_trace_callback(None)
    first_index = next(i for i, sql in enumerate(seen) if sql.startswith("CREATE INDEX"))
    sizes = [sql for sql in seen[:first_index] if sql.startswith("PRAGMA cache_size =")]
    assert sizes[0] == f"PRAGMA cache_size = {-purchase_import.CACHE_KIB}"  # negative: KiB
    assert sizes[-1] == f"PRAGMA cache_size = {default}"
    assert db.execute("PRAGMA cache_size").fetchone()[0] == default


@pytest.mark.sqlite_only(
    "PRAGMA foreign_keys is SQLite's per-connection switch; a server always checks"
)
def test_lines_are_written_with_foreign_keys_off_and_they_are_on_again(db, tmp_path, monkeypatch):
    """Checking each line's customer and import (both just read or written by the import)
    was a quarter of the insert; the pragma is back on after, even when the file is refused."""
    customers.add(db, code="A", name="A")
    path = tmp_path / "p.csv"
    path.write_text("customer,date,amount\nA,2025-01-01,1.5\nA,2025-01-02,2\n", encoding="utf-8")
    states: list[int] = []
    original = journal.begin

    def begin(db, **kwargs):
        states.append(db.execute("PRAGMA foreign_keys").fetchone()[0])
        return original(db, **kwargs)

    monkeypatch.setattr(journal, "begin", begin)
    import_purchases(db, path)
    with pytest.raises(InvalidInput):
        import_purchases(db, bad_file(tmp_path))
    assert states == [0, 0]
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Inside a caller's transaction the pragma cannot change: checked as before.
    with db.write():
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with db.references_unchecked():
            assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_the_cycle_collector_rests_while_lines_are_written_and_wakes_after(
    db, tmp_path, monkeypatch
):
    import gc

    from crmcli.imports import purchases as purchase_import

    customers.add(db, code="A", name="A")
    path = tmp_path / "p.csv"
    path.write_text("customer,date,amount\nA,2025-01-01,1.5\n", encoding="utf-8")
    during: list[bool] = []
    way = "_staged" if db.remote else "_stepped"  # a server's way, SQLite's
    write = getattr(purchase_import, way)

    def watched(*args, **kwargs):
        during.append(gc.isenabled())
        return write(*args, **kwargs)

    monkeypatch.setattr(purchase_import, way, watched)
    import_purchases(db, path)
    assert during == [False] and gc.isenabled()
    with pytest.raises(InvalidInput):
        import_purchases(db, bad_file(tmp_path))
    assert gc.isenabled()


def test_customer_codes_are_found_past_a_full_cache(db, tmp_path, monkeypatch):
    from crmcli.imports import purchases as purchase_import

    monkeypatch.setattr(purchase_import._Customers, "CODES", 2)  # cleared again and again
    for code in ("A", "B", "C", "D"):
        customers.add(db, code=code, name=code)
    path = tmp_path / "p.csv"
    refs = ["A", "B", "C", "A", "D", "B", "X", "C"]
    path.write_text(
        "customer,date,amount,quantity\n"
        + "".join(f"{r},2025-01-0{i + 1},{i}.5,{i}\n" for i, r in enumerate(refs)),
        encoding="utf-8",
    )
    result = import_purchases(db, path, skip_invalid=True)
    assert (result.counts.added, result.counts.rejected) == (7, 1)
    rows = db.execute(
        "SELECT c.code, p.amount_micros, p.quantity FROM purchases p"
        " JOIN customers c ON c.id = p.customer_id ORDER BY p.id"
    ).fetchall()
    assert [r[0] for r in rows] == ["A", "B", "C", "A", "D", "B", "C"]
    assert rows[1][1:] == (1_500_000, 1)


def test_a_shop_s_codes_are_read_at_once_for_a_file_that_names_many(db, tmp_path, monkeypatch):
    """A query per code met cost more than reading every code (100k customers: 0.5 s
    against 0.1 s): a file with at least as many lines as the shop has codes reads them
    in one query; a small file into a bigger shop still looks up only the codes it names."""
    for code in ("A", "B", "C", "D"):
        customers.add(db, code=code, name=code)
    customers.add(db, name="no code")
    asked: list[str] = []
    execute = db.execute

    def watched(sql, *args, **kwargs):
        asked.append(" ".join(sql.split()))
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(db, "execute", watched)
    one_by_one = "SELECT id FROM customers WHERE code = ?"
    at_once = "SELECT code, id FROM customers WHERE code IS NOT NULL"

    def run(name, refs):
        asked.clear()
        path = tmp_path / name
        path.write_text(
            "customer,date,amount\n"
            + "".join(f"{r},2025-01-{i + 1:02d},{i}.5\n" for i, r in enumerate(refs)),
            encoding="utf-8",
        )
        result = import_purchases(db, path, skip_invalid=True)
        return result, asked.count(one_by_one), asked.count(at_once)

    many = ["A", "B", "C", "A", "D", "B", "X", "C"]
    result, looked_up, read = run("many.csv", many)
    assert (result.counts.added, result.counts.rejected) == (7, 1)
    assert (looked_up, read) == (1, 1)  # only the unknown X is asked for
    rows = db.execute(
        "SELECT c.code FROM purchases p JOIN customers c ON c.id = p.customer_id ORDER BY p.id"
    ).fetchall()
    assert [r[0] for r in rows] == [r for r in many if r != "X"]
    result, looked_up, read = run("few.csv", ["B", "D"])
    assert result.counts.added == 2
    # On a server every lookup is a round trip: a shop of up to CODES codes is read at once.
    assert (looked_up, read) == ((0, 1) if db.remote else (2, 0))


def test_a_line_with_several_bad_values_lists_each(db, tmp_path):
    customers.add(db, code="A", name="A")
    path = tmp_path / "p.csv"
    path.write_text(
        "customer,date,amount,quantity\nA,2025-01-01,1.5,1\nA,2025-02-30,abc,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as info:
        import_purchases(db, path)
    assert [(p.line, p.field) for p in info.value.problems] == [
        (3, "date"),
        (3, "quantity"),
        (3, "amount"),
    ]
