"""The customers import gives the same rows, refusals and rejects whatever path it takes.

A seeded messy file (tests/messy_customers.py) is imported in the ways a shop does: into
an empty shop, again, a second file naming the first's customers (fill, update, add),
and refused whole. `test_the_outcome_is_as_checked_in` holds every outcome to the one
checked in (tests/golden/customers-import-messy.json, made by the import as it was before
its fast paths): regenerate with `CRMCLI_UPDATE_GOLDEN=1` only for an intended change,
and read the diff. The other tests run the import's shortcuts against its plain path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import messy_customers
import pg_server
import pytest
import sent

from crmcli.db import open_db
from crmcli.errors import InvalidInput
from crmcli.imports import customer_store
from crmcli.imports.customers import import_customers

GOLDEN = Path(__file__).parent / "golden" / "customers-import-messy.json"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    first = messy_customers.rows(100, seed=1)
    codes = [r[0] for r in first if r[0]]
    second = messy_customers.rows(80, seed=2, codes=codes)
    # The second file also gives some of the first's numbers and e-mails again.
    for i, row in enumerate(second[::4]):
        source = first[(i * 7) % len(first)]
        row[2], row[4] = source[2], source[4].upper() if i % 2 else source[4]
    return (
        messy_customers.write(tmp_path / "first.csv", first),
        messy_customers.write(tmp_path / "second.csv", second),
    )


def _import(db, path, **options):
    try:
        result = import_customers(db, path, **options)
    except InvalidInput as exc:
        return messy_customers.outcome(db, error=exc)
    return messy_customers.outcome(db, result)


def scenarios(db_factory, tmp_path: Path) -> dict[str, object]:
    """Each scenario's outcome, each on a new database from `db_factory()`."""
    first, second = _files(tmp_path)
    out: dict[str, object] = {}
    db = db_factory()
    out["refused"] = _import(db, first)
    out["first"] = _import(db, first, skip_invalid=True, replace_rejects=True)
    out["again"] = _import(db, first, skip_invalid=True, replace_rejects=True)
    out["second-fill"] = _import(db, second, skip_invalid=True, replace_rejects=True)
    for conflict in ("update", "add"):
        db = db_factory()
        _import(db, first, skip_invalid=True, replace_rejects=True)
        out[f"second-{conflict}"] = _import(
            db, second, skip_invalid=True, replace_rejects=True, on_conflict=conflict
        )
    return out


@pytest.fixture
def fresh(engine, tmp_path):
    """New databases of this test's engine, each empty (a server's pooled one, emptied)."""
    opened = []

    def factory():
        for db in opened:
            db.close()
        if engine == "sqlite":
            target = tmp_path / f"shop{len(opened)}.db"
        else:
            target = pg_server.server().pool().fresh()
        opened.append(open_db(target))
        return opened[-1]

    yield factory
    for db in opened:
        db.close()


def _golden_text(outcomes: dict[str, object]) -> str:
    """One line per row: a change reads as the rows it changed."""
    lines = ["{"]
    for i, (name, outcome) in enumerate(sorted(outcomes.items())):
        lines.append(f" {json.dumps(name)}: {{")
        parts = sorted(outcome.items())  # type: ignore[attr-defined]
        for j, (part, value) in enumerate(parts):
            end = "," if j < len(parts) - 1 else ""
            if isinstance(value, list) and value:
                rows = [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in value]
                lines.append(f"  {json.dumps(part)}: [")
                lines.append(",\n".join(f"   {r}" for r in rows))
                lines.append(f"  ]{end}")
            else:
                lines.append(f"  {json.dumps(part)}: {json.dumps(value, ensure_ascii=False)}{end}")
        lines.append(" }" + ("," if i < len(outcomes) - 1 else ""))
    return "\n".join([*lines, "}"]) + "\n"


def test_the_outcome_is_as_checked_in(fresh, tmp_path):
    got = scenarios(fresh, tmp_path)
    text = _golden_text(got)
    if os.environ.get("CRMCLI_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for name in expected:
        assert got[name] == expected[name], name


def test_the_known_keys_shortcuts_change_nothing(fresh, tmp_path, monkeypatch):
    """Every scenario with the stored keys read whole (`Writer.KNOWN_KEYS_SHARE`), with
    them looked up a batch at a time (`Writer.LOOK_AHEAD`), and with each row looked up
    alone in the database: the same outcome, row for row."""
    shortcut = scenarios(fresh, tmp_path / "a")
    monkeypatch.setattr(customer_store.Writer, "KNOWN_KEYS_SHARE", -1.0)  # never
    monkeypatch.setattr(customer_store.Writer, "LOOK_AHEAD", 7)  # batches end mid-file
    batched = scenarios(fresh, tmp_path / "b")
    monkeypatch.setattr(customer_store.Writer, "LOOK_AHEAD", 0)  # never
    looked_up = scenarios(fresh, tmp_path / "c")
    assert shortcut == looked_up
    assert batched == looked_up


def test_a_first_load_looks_up_only_rows_whose_keys_were_seen(db, engine, tmp_path, monkeypatch):
    """Into an empty shop, a row whose code, numbers and e-mail no earlier row gave is a
    new customer without a look-up; a row repeating one is looked up (and merged)."""
    calls: list[int] = []
    real = customer_store.match

    def counted(db_, record, region):
        calls.append(1)
        return real(db_, record, region)

    monkeypatch.setattr(customer_store, "match", counted)
    n = 3_000
    rows = [f"K{i},Kim {i},010-{i // 10_000 + 2000:04d}-{i % 10_000:04d},k{i}@example.kr"
            for i in range(n)]  # fmt: skip
    rows.append("K7,Kim 7,,K7@EXAMPLE.KR")  # the same customer as line 9: merged
    path = tmp_path / "first.csv"
    path.write_text("code,name,phone,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = import_customers(db, path)
    assert result.counts.added == n and result.counts.merged + result.counts.unchanged == 1
    assert 1 <= len(calls) <= n // 50  # the repeat, and the filter's rare false "maybe"
    calls.clear()
    again = import_customers(db, path)  # a shop as big as the file: every row looked up
    assert again.counts.unchanged == n + 1
    if engine == "sqlite":  # the stored keys read whole say "maybe" to each: matched alone
        assert len(calls) >= n
    else:  # a server looks them up a batch at a time: each found by its code there
        assert len(calls) == 0


def test_known_keys_never_forget_a_key_and_rarely_invent_one():
    known = customer_store.KnownKeys(40_000)
    keys = [f"k{i}" for i in range(10_000)] + [("e", f"+8210{i:08d}") for i in range(30_000)]
    for key in keys:
        known.add(key)
    assert all(known.may_hold([key]) for key in keys)
    others = [f"other{i}" for i in range(20_000)]
    assert sum(known.may_hold([key]) for key in others) < 0.03 * len(others)
    assert not customer_store.KnownKeys(0).may_hold(["anything", ("n", "Kim")])


def test_into_a_small_shop_rows_are_looked_up_only_where_it_cannot_change(
    db, engine, tmp_path, monkeypatch
):
    """A file bigger than the shop: SQLite reads the stored keys once (no other writer
    until the import ends); a server, where another session may give a stored customer
    a number meanwhile, looks the keys up a batch at a time, as it sees them then."""
    from crmcli import customers

    customers.add(db, code="OLD", name="Park", phones_raw=["010-9999-0000"])
    calls: list[int] = []
    real = customer_store.match
    monkeypatch.setattr(customer_store, "match", lambda *a: (calls.append(1), real(*a))[1])
    rows = [f"N{i},Kim {i},010-3{i:03d}-{i:04d}" for i in range(200)]
    rows.append(",Park,010 9999 0000")  # the stored customer, by number
    path = tmp_path / "new.csv"
    path.write_text("code,name,phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.unchanged) == (200, 1)  # Park found
    if engine == "postgresql":  # the batch's look-up finds Park's number: Park alone
        assert len(calls) == 1
    else:  # Park, and the filter's rare false "maybe" (str hashes change with each process)
        assert 1 <= len(calls) <= 1 + 200 // 25


def test_a_day_s_file_into_a_big_shop_looks_its_rows_up_a_batch_at_a_time(
    db, engine, tmp_path, monkeypatch
):
    """Into a shop bigger than the file (the stored keys are not read whole), on both
    engines: the codes, numbers, e-mails and names of a batch of rows are looked up in
    a few queries, and only a row with a stored key is matched alone (one look-up or
    three a row before: on a server a round trip each)."""
    from crmcli import customers

    with db.write():
        for i in range(300):
            customers.add(db, code=f"S{i}", name=f"Stored {i}", phones_raw=[f"010-5{i:03d}-0000"])
        customers.add(db, name="Park", email="Park@Example.kr")
        customers.add(db, name="Lone Name")
    rows = [f"N{i},Kim {i},010-3{i:03d}-{i:04d},kim{i}@example.kr" for i in range(200)]
    rows += [
        "S7,Stored 7,,",  # by code
        ",Stored 9,010 5009 0000,",  # by number
        ",Park,,PARK@example.KR",  # by e-mail, case-blind
        ",Lone Name,,",  # by name alone
        "N3,Kim 3,,",  # a row of this file again
    ]
    path = tmp_path / "day.csv"
    path.write_text("code,name,phone,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    calls: list[int] = []
    real = customer_store.match
    monkeypatch.setattr(customer_store, "match", lambda *a: (calls.append(1), real(*a))[1])
    statements = sent.statements(db, monkeypatch)
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.unchanged + result.counts.merged) == (200, 5)
    assert len(calls) == 4  # by number, e-mail, name, again: the code was found with its batch
    look_ups = [s for s in statements if "code IN (" in s or "digits IN (" in s or "e164 IN (" in s
                or "name IN (" in s or "JOIN (VALUES" in s]  # fmt: skip
    assert 1 <= len(look_ups) <= 5  # code, e-mail, number, name: one query each
    assert len(statements) < 120, len(statements)  # not a query a row


def test_a_whole_list_again_reads_its_stored_customers_a_batch_at_a_time(db, tmp_path, monkeypatch):
    """The shop's whole list imported again into a bigger shop (a till's daily export):
    the customers its rows name are read with their batch, four queries for all of them,
    so a row found by its code and left unchanged costs no query of its own (on a server
    it cost five round trips: the code, then the customer, numbers, tags, dates)."""
    from crmcli import customers

    with db.write():
        for i in range(400):
            customers.add(db, code=f"S{i}", name=f"Stored {i}", phones_raw=[f"010-5{i:03d}-0000"],
                          tags=["vip"] if i % 2 else [])  # fmt: skip
    rows = [f"S{i},Stored {i},010-5{i:03d}-0000,{'vip' if i % 2 else ''}" for i in range(300)]
    rows.append("S7,Stored 7,,regular")  # the same customer again, with a tag more
    rows.append("S7,Stored 7,,")  # and again: read as the row before left it
    path = tmp_path / "list.csv"
    path.write_text("code,name,phone,tags\n" + "\n".join(rows) + "\n", encoding="utf-8")
    statements = sent.statements(db, monkeypatch)
    result = import_customers(db, path)
    assert (result.counts.unchanged, result.counts.updated) == (301, 1)
    assert customers.get(db, 8).tags == ("regular", "vip")  # S7 is customer #8
    assert len(statements) < 100, len(statements)  # not five a row (1,500)


def test_an_updated_row_costs_a_few_statements_and_undo_still_takes_it_back(
    db, tmp_path, monkeypatch
):
    """A file that changes stored customers (`--on-conflict update`): each changed row
    costs its undo record's read, its UPDATE and the after-state's read, the undo records
    go in with the batch's bulk load (on a server a row cost 17 round trips: the customer
    read again four times over, its phones, tags and dates each read three times)."""
    from crmcli import customers
    from crmcli.imports import undo

    with db.write():
        for i in range(120):
            customers.add(db, code=f"U{i}", name=f"Kim {i}", phones_raw=[f"010-6{i:03d}-0000"],
                          tags=["vip"], anniversaries=[("wedding", "2010-05-01")])  # fmt: skip
    tables = ("customers", "customer_phones", "customer_tags", "customer_dates")

    def stored():
        return {t: v for t, v in messy_customers.outcome(db).items() if t in tables}

    before = stored()
    rows = [f"U{i},Kim {i},u{i}@example.kr,Lee" for i in range(100)]  # a shop bigger than it
    path = tmp_path / "changes.csv"
    path.write_text("code,name,email,owner\n" + "\n".join(rows) + "\n", encoding="utf-8")
    statements = sent.statements(db, monkeypatch)
    result = import_customers(db, path, on_conflict="update")
    monkeypatch.undo()
    assert result.counts.updated == 100
    assert customers.get(db, 5).fields["owner"] == "Lee"
    assert len(statements) <= 3 * 100 + 30, len(statements)  # was 17 a row (1,700)
    assert not [s for s in statements if s.lstrip().startswith("INSERT INTO import_changes")]
    after = stored()
    assert after != before
    undo.undo(db, result.import_id)
    assert stored() == before


def test_a_small_file_into_a_big_shop_counts_no_further_than_the_file(db, tmp_path, monkeypatch):
    """Whether the stored keys are worth reading is told by counting the shop only as far
    as the file's size: a day's two rows into a big shop count three customers."""
    from crmcli import customers

    with db.write():
        for i in range(30):
            customers.add(db, code=f"S{i}", name=f"Stored {i}")
    path = tmp_path / "day.csv"
    path.write_text("code,name\nD1,Day One\nS3,Stored 3\n", encoding="utf-8")
    counted: list[object] = []
    execute = db.execute

    def watched(sql, params=()):
        if "count(*)" in sql and "customers" in sql:
            counted.append((sql, list(params)))
        return execute(sql, params)

    monkeypatch.setattr(db, "execute", watched)
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.unchanged) == (1, 1)
    assert counted == [("SELECT count(*) FROM (SELECT 1 FROM customers LIMIT ?) AS shop", [3])]


def test_new_customers_are_written_through_the_engine_s_bulk_load(db, tmp_path, monkeypatch):
    """The queued customers, their numbers, tags, dates and undo records go in through
    `copy_rows` (COPY on a server: one stream, not a statement a row), never a
    statement a row."""
    path = tmp_path / "new.csv"
    rows = [f"N{i},Kim {i},010-3{i:03d}-{i:04d},vip;{i % 3},1990-01-{i % 28 + 1:02d}"
            for i in range(300)]  # fmt: skip
    path.write_text("code,name,phone,tags,anniversary\n" + "\n".join(rows) + "\n", "utf-8")
    copied: dict[str, int] = {}
    many: list[str] = []  # statements run for each row of a list, outside copy_rows
    copy_rows, executemany = db.copy_rows, db.executemany
    inside = False

    def counted(table, columns, rows):
        nonlocal inside
        inside = True
        try:
            copied[table] = copied.get(table, 0) + (n := copy_rows(table, columns, rows))
        finally:
            inside = False
        return n

    def watched(sql, rows):
        if not inside:
            many.append(sql)
        return executemany(sql, rows)

    monkeypatch.setattr(db, "copy_rows", counted)
    monkeypatch.setattr(db, "executemany", watched)
    result = import_customers(db, path)
    assert result.counts.added == 300
    assert copied == {
        "customers": 300,
        "customer_phones": 300,
        "customer_tags": 600,
        "customer_dates": 300,
        "import_changes": 300,
    }
    assert not [sql for sql in many if "customer" in sql or "import_changes" in sql]
