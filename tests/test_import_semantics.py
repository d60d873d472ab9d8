"""What an import does with rows: whom a row matches, what it may change, anonymous sales,
order lines given as customers, re-imports that change nothing, and refusals that say
the fix first (issue 11 item 12; issue 13 items 1, 2, 7).

Every file here is generated from a seed, with the trait under test.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from pathlib import Path

import pytest

from crmcli import customers
from crmcli.errors import InvalidInput, InvalidValue
from crmcli.imports.customer_store import names_differ
from crmcli.imports.customers import import_customers
from crmcli.imports.purchases import import_purchases
from crmcli.imports.undo import undo as undo_import

# What `imports undo` lacks on a server: import_changes has no key, and the order its
# records were written in (SQLite's rowid) needs a column there (a migration).


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def counts(db: sqlite3.Connection | object, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[attr-defined]


# --- another person is never overwritten (issue 11 item 12) ----------------------------------


FAMILY = ["code", "name", "phone", "email", "birthday"]


@pytest.fixture
def family(db, tmp_path):
    """Mother (no code) with the family e-mail and her birthday; Dad with the home phone."""
    path = write_csv(
        tmp_path / "family.csv",
        FAMILY,
        [
            ["", "Mother Kim", "", "fam@example.com", "1965-03-03"],
            ["", "Lee Dad", "010-7777-8888", "", "1970-01-01"],
        ],
    )
    import_customers(db, path)
    return db


def test_a_son_sharing_the_family_email_is_a_conflict_not_an_update(family, tmp_path):
    path = write_csv(
        tmp_path / "son.csv", FAMILY, [["", "Son Kim", "", "fam@example.com", "1992-06-06"]]
    )
    with pytest.raises(InvalidInput) as info:
        import_customers(family, path)
    text = str(info.value)
    assert "son.csv:2: shares its e-mail with customer #1 (Mother Kim) but names Son Kim" in text
    assert "--on-conflict add" in text.splitlines()[1]  # the fix comes first
    mother = customers.get(family, 1)
    assert (mother["name"], mother["birthday"]) == ("Mother Kim", "1965-03-03")
    assert customers.count(family) == 2


def test_a_new_code_matching_a_codeless_customer_by_phone_does_not_rename_him(family, tmp_path):
    path = write_csv(
        tmp_path / "junior.csv", FAMILY, [["K10", "Lee Junior", "01077778888", "", ""]]
    )
    with pytest.raises(InvalidInput, match=r"junior.csv:2: shares its phone with customer #2"):
        import_customers(family, path)
    dad = customers.get(family, 2)
    assert (dad["name"], dad["code"]) == ("Lee Dad", None)


def test_on_conflict_add_makes_the_other_person_a_customer_and_reimport_finds_each(
    family, tmp_path
):
    path = write_csv(
        tmp_path / "kids.csv",
        FAMILY,
        [
            ["", "Son Kim", "", "fam@example.com", "1992-06-06"],
            ["K10", "Lee Junior", "010-7777-8888", "", ""],
        ],
    )
    result = import_customers(family, path, on_conflict="add")
    assert result.counts.added == 2
    assert customers.get(family, 1)["name"] == "Mother Kim"
    assert customers.get(family, 3)["name"] == "Son Kim"
    # Again: each row finds its own person among those sharing the e-mail or phone.
    again = import_customers(family, path)
    assert (again.counts.unchanged, again.import_id) == (2, None)
    # A third member sharing the e-mail: a conflict again (not "matches several"), or,
    # with --on-conflict add, a customer of her own.
    third = write_csv(
        tmp_path / "kid.csv", FAMILY, [["", "Daughter Kim", "", "fam@example.com", ""]]
    )
    with pytest.raises(InvalidInput, match="names Daughter Kim: not the same person"):
        import_customers(family, third)
    assert import_customers(family, third, on_conflict="add").counts.added == 1


def test_on_conflict_update_given_explicitly_overwrites(family, tmp_path):
    path = write_csv(
        tmp_path / "son.csv", FAMILY, [["", "Son Kim", "", "fam@example.com", "1992-06-06"]]
    )
    import_customers(family, path, on_conflict="update")
    mother = customers.get(family, 1)
    assert (mother["name"], mother["birthday"]) == ("Son Kim", "1992-06-06")


@pytest.mark.parametrize(
    ("stored", "given", "differ"),
    [
        ("Mother Kim", "Son Kim", True),
        ("Kim Minjun", "Minjun Kim", False),  # word order
        ("Kim Minjun", "KIM  MINJUN", False),  # case, spaces
        ("Jonathan Smith", "J. Smith", False),  # an initial
        ("Ani Armenovna Petrosyan", "Ani Petrosyan", False),  # a part left out
        ("Jonathan Smith", "Jonathon Smith", False),  # one typo in a long name
        ("김민준", "김 민준", False),
        ("김민준", "김서연", True),  # Hangul, folded into letters
        ("山田太郎", "山田花子", True),
        ("ＹＡＭＡＤＡ Taro", "yamada taro", False),  # full-width folded
        ("Анна Петрова", "Мария Петрова", True),
        ("김민준", "Minjun Kim", False),  # different scripts cannot be compared
        ("Kim Minjun", "Kim Minji", True),  # siblings
    ],
)
def test_names_plainly_differ(stored, given, differ):
    assert names_differ(stored, given) is differ


def test_by_default_an_update_fills_in_and_adds_and_never_replaces(db, tmp_path):
    customers.add(
        db, name="Kim Minjun", code="K1", phones_raw=["010-1111-2222"], tags=["vip"],
        email="old@example.com", address="Seoul",
    )  # fmt: skip
    path = write_csv(
        tmp_path / "more.csv",
        ["code", "name", "phone", "email", "address", "birthday", "tags", "company"],
        [
            [
                "K1",
                "Kim M.",
                "010-3333-4444",
                "new@example.com",
                "Busan",
                "1990-05-05",
                "new",
                "ACME",
            ]
        ],
    )
    result = import_customers(db, path)
    kim = customers.get(db, 1)
    assert (kim["email"], kim["address"], kim["name"]) == ("old@example.com", "Seoul", "Kim Minjun")
    assert (kim["birthday"], kim["company"]) == ("1990-05-05", "ACME")  # empty: filled in
    assert [p.raw for p in kim.phones] == ["010-1111-2222", "010-3333-4444"]
    assert kim.tags == ("new", "vip")
    assert any("stored values were kept" in n for n in result.notes)
    replaced = import_customers(db, path, on_conflict="update")
    assert replaced.counts.updated == 1
    kim = customers.get(db, 1)
    assert (kim["email"], kim["address"]) == ("new@example.com", "Busan")


# --- the same customer on several rows of one file (issue 13 item 2) --------------------------


def test_rows_of_one_customer_merge_and_contradictions_are_reported_by_line(db, tmp_path):
    header = ["code", "name", "phone", "email", "tags"]
    path = write_csv(
        tmp_path / "dupes.csv",
        header,
        [
            ["K1", "Park Jisoo", "010-1000-2000", "", "a"],
            ["K1", "", "010-1000-3000", "park@example.com", "b"],  # more of the same customer
            ["K2", "Choi", "", "choi@example.com", ""],
        ],
    )
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.merged) == (2, 1)
    park = customers.get(db, 1)
    assert park["email"] == "park@example.com" and park.tags == ("a", "b")
    assert len(park.phones) == 2
    clash = write_csv(
        tmp_path / "clash.csv",
        header,
        [["K7", "Seo", "", "seo@example.com", ""], ["K7", "", "", "other@example.com", ""]],
    )
    with pytest.raises(InvalidInput) as info:
        import_customers(db, clash)
    assert "clash.csv:3: the same customer as an earlier row (#3)" in str(info.value)
    assert "email 'seo@example.com' there, 'other@example.com' here" in str(info.value)
    # With --skip-invalid the contradicting row is refused whole: none of it is merged.
    clash.write_text(
        "code,name,email,tags\nK7,Seo,seo@example.com,\nK7,,other@example.com,from-row-3\n",
        encoding="utf-8",
    )
    done = import_customers(db, clash, skip_invalid=True)
    assert (done.counts.added, done.counts.rejected) == (1, 1)
    assert customers.get(db, customers.resolve(db, "K7")).tags == ()


def order_lines(tmp_path: Path, seed: int, rows: int = 600) -> Path:
    """An order export: many lines per customer, order id, date, amount and product."""
    rnd = random.Random(seed)
    body = []
    for i in range(rows):
        cid = f"C{rnd.randint(1, rows // 12):04d}"
        body.append(
            [f"O{i // 3}", cid, f"Name {cid}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
             f"{rnd.randint(1, 99_999) / 100}", f"Product {rnd.randint(1, 30)}"]
        )  # fmt: skip
    header = ["Order ID", "Customer ID", "Customer Name", "Order Date", "Sales", "Product Name"]
    return write_csv(tmp_path / "orders.csv", header, body)


def test_an_order_lines_file_given_to_customers_import_is_refused_with_the_fix(
    cli, db_path, tmp_path
):
    path = order_lines(tmp_path, seed=13)
    result = cli("customers", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"crmcli: error: this looks like order lines: crmcli purchases import {path} "
        "--create-customers"
    )
    # Nothing stored: a server's database stays empty; a new file is not even left behind.
    if isinstance(db_path, Path):
        assert not db_path.exists()
    else:
        assert cli("customers", "list", "--format", "csv").stdout.count("\n") <= 1
    # And the fix works.
    done = cli("purchases", "import", str(path), "--create-customers")
    assert "600" in done.stdout


def test_order_lines_spread_past_the_sample_are_refused_at_the_end(db, tmp_path):
    # The first 200 rows are all different customers; the repeats come later.
    rows = [[f"O{i}", f"C{i:04d}", f"2024-01-{1 + i % 28:02d}", "10.5"] for i in range(300)]
    rows += [[f"O{300 + i}", f"C{i % 50:04d}", "2024-02-01", "3"] for i in range(300)]
    path = write_csv(
        tmp_path / "late.csv", ["Order ID", "Customer ID", "Order Date", "Sales"], rows
    )
    with pytest.raises(InvalidValue, match="this looks like order lines"):
        import_customers(db, path)
    assert customers.count(db) == 0 and counts(db, "imports") == 0


def test_a_customer_list_with_an_amount_column_but_no_repeats_is_imported(db, tmp_path):
    rows = [[f"C{i}", f"Person {i}", f"{i * 10}", "2024-01-01"] for i in range(50)]
    path = write_csv(tmp_path / "list.csv", ["code", "name", "total", "date"], rows)
    assert import_customers(db, path).counts.added == 50


# --- re-importing changes nothing, and writes nothing (issue 13 item 2) -----------------------


def _fingerprint(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return (
            conn.execute("SELECT count(*) FROM imports").fetchone()[0],
            conn.execute("SELECT count(*) FROM import_changes").fetchone()[0],
            conn.execute("SELECT total_changes()").fetchone()[0],
        )
    finally:
        conn.close()


@pytest.mark.sqlite_only(
    "the proof that nothing was written is the file's size and total_changes()"
)
def test_reimporting_any_file_reports_unchanged_and_writes_nothing(cli, db_path, tmp_path):
    rnd = random.Random(7)
    people = [
        [f"K{i:03d}", rnd.choice(["김민준", "Ani Petrosyan", "山田太郎", "Li Wei"]) + f" {i}",
         f"010-{rnd.randint(1000, 9999)}-{i:04d}", f"p{i}@example.com", "1980-01-02", "vip"]
        for i in range(120)
    ]  # fmt: skip
    people.append([*list(people[5][:1]), "", "", "", "", "extra-tag"])  # a repeat row: merged
    cpath = write_csv(
        tmp_path / "people.csv", ["code", "name", "phone", "email", "birthday", "tags"], people
    )
    ppath = order_lines(tmp_path, seed=3)
    cli("customers", "import", str(cpath))
    cli("purchases", "import", str(ppath), "--create-customers")
    before = _fingerprint(db_path)
    size = db_path.stat().st_size
    for path, extra in ((cpath, []), (ppath, ["--create-customers"])):
        kind = "customers" if path == cpath else "purchases"
        again = cli(kind, "import", str(path), *extra)
        summary = next(csv.DictReader(io.StringIO(again.stdout)))
        rows = 121 if path == cpath else 600
        assert (summary["added"], summary["updated"], summary["unchanged"]) == ("0", "0", str(rows))
        assert summary["import_id"] == ""
        assert "nothing was written to the database" in again.stderr
    assert _fingerprint(db_path)[:2] == before[:2]  # no import record, no undo rows
    assert db_path.stat().st_size <= size + 4096


def test_a_list_of_names_only_is_found_again_on_reimport(db, tmp_path):
    path = write_csv(
        tmp_path / "names.csv",
        ["name", "birthday"],
        [["Kim Minjun", "1990-01-01"], ["이서연", ""], ["Kim Minjun", "1985-05-05"]],
    )
    first = import_customers(db, path)
    assert first.counts.added == 3  # two namesakes told apart by their birthdays
    again = import_customers(db, path)
    assert (again.counts.added, again.counts.unchanged, again.import_id) == (0, 3, None)
    assert customers.count(db) == 3


# --- anonymous sales (issue 13 item 1) ---------------------------------------------------------


def walk_ins(tmp_path: Path, seed: int) -> tuple[Path, int, int]:
    """A retail export where about a quarter of the lines name no customer."""
    rnd = random.Random(seed)
    rows, anonymous, total = [], 0, 0
    for i in range(400):
        cust = "" if rnd.random() < 0.25 else f"1{rnd.randint(0, 30):04d}"
        anonymous += cust == ""
        cents = rnd.randint(100, 50_000)
        total += cents
        rows.append([f"5{i:05d}", cust, f"2024-{1 + i % 12:02d}-15", f"{cents / 100:.2f}", "Mug"])
    header = ["InvoiceNo", "CustomerID", "InvoiceDate", "Amount", "Description"]
    return write_csv(tmp_path / "retail.csv", header, rows), anonymous, total


def test_lines_with_no_customer_are_anonymous_sales(cli, tmp_path):
    path, anonymous, total_cents = walk_ins(tmp_path, seed=11)
    out = cli("purchases", "import", str(path), "--create-customers")
    assert f"{anonymous} lines with no customer imported as anonymous sales" in out.stderr
    summary = next(csv.DictReader(io.StringIO(out.stdout)))
    assert (summary["added"], summary["anonymous"]) == ("400", str(anonymous))
    listed = list(csv.DictReader(io.StringIO(cli("purchases", "export").stdout)))
    assert len(listed) == 400
    assert sum(round(float(r["amount"]) * 100) for r in listed) == total_cents
    assert sum(1 for r in listed if r["customer"] == "") == anonymous
    people = list(csv.DictReader(io.StringIO(cli("customers", "list", "--format", "csv").stdout)))
    assert all(p["code"] for p in people) and len(people) <= 31
    cli("tiers", "classify", "--as-of", "2024-12-31")
    report = list(csv.DictReader(io.StringIO(cli("tiers", "report", "--format", "csv").stdout)))
    assert report  # tiers work with anonymous lines present
    bought = cli("customers", "who-bought", "--item", "Mug", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(bought)))) == len(people)
    cli("due", "--as-of", "2025-01-15", "--days", "60")  # anniversaries, after-sales: no one


def test_missing_value_markers_in_the_customer_column_are_anonymous_sales(cli, tmp_path):
    rnd = random.Random(42)
    rows = []
    for i in range(300):
        who = rnd.choice(["NA", "N/A", "#N/A", "null", "-", ""]) if i % 4 == 0 else f"C{i % 20}"
        rows.append([who, f"2024-03-{1 + i % 28:02d}", "12.50", f"Item {i % 5}"])
    path = write_csv(tmp_path / "retail.csv", ["CustomerID", "InvoiceDate", "Amount", "Item"], rows)
    out = cli("purchases", "import", str(path), "--create-customers")
    assert "75 lines with no customer imported as anonymous sales" in out.stderr
    people = cli("customers", "list", "--format", "csv", "--fields", "code").stdout.split()[1:]
    assert sorted(people) == sorted(f"C{i}" for i in range(20) if i % 4)  # no 'NA' customer
    exported = list(csv.DictReader(io.StringIO(cli("purchases", "export").stdout)))
    assert len(exported) == 300 and sum(r["customer"] == "" for r in exported) == 75


def test_a_file_refused_in_part_again_writes_nothing_new(db, tmp_path):
    customers.add(db, code="K1")
    rows = [["K1", "2024-01-01", "1"], ["NOPE", "2024-01-01", "1"]]
    path = write_csv(tmp_path / "p.csv", ["customer", "date", "amount"], rows)
    first = import_purchases(db, path, skip_invalid=True)
    assert (first.counts.added, first.counts.rejected) == (1, 1)
    again = import_purchases(db, path, skip_invalid=True, rejects=tmp_path / "again.csv")
    assert (again.counts.unchanged, again.counts.rejected, again.import_id) == (1, 1, None)
    assert again.rejects is not None and again.rejects.exists()  # the refused line, again
    assert counts(db, "imports") == 1


def test_skip_anonymous_leaves_them_out(db, tmp_path):
    path, anonymous, _ = walk_ins(tmp_path, seed=5)
    result = import_purchases(db, path, create_customers=True, skip_anonymous=True)
    assert result.counts.added == 400 - anonymous
    assert result.counts.rejected == anonymous == result.counts.anonymous
    assert counts(db, "purchases WHERE customer_id IS NULL") == 0


def test_undo_removes_anonymous_sales_too(db, tmp_path):
    path, _, _ = walk_ins(tmp_path, seed=9)
    result = import_purchases(db, path, create_customers=True)
    undo_import(db, result.import_id)
    assert counts(db, "purchases") == 0


# --- a refused file says the fix first, once (issue 13 item 7) ---------------------------------


def test_a_file_of_unknown_customers_is_one_line_with_the_remedy(cli, tmp_path):
    path = order_lines(tmp_path, seed=21, rows=1000)
    result = cli("purchases", "import", str(path), ok=False)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "crmcli: error: orders.csv: nothing was imported; 1,000 lines of 1,000 have problems:"
    )
    assert lines[1].startswith(
        "  1,000 lines name customers who are not in the database: add --create-customers "
        "(lines 2, 3, 4, 5, 6, …)"
    )
    assert len(lines) <= 4
    assert "--skip-invalid" not in result.stderr  # it would import nothing
    verbose = cli("purchases", "import", str(path), "--verbose", ok=False)
    assert verbose.stderr.count("no customer with code") == 1000


def test_closing_advice_offers_skip_invalid_only_when_it_would_import_something(db, tmp_path):
    customers.add(db, code="K1")
    rows = [["K1", "2024-01-01", "1"]] * 8 + [["NOPE", "2024-01-01", "1"], ["K1", "bad", "1"]]
    path = write_csv(tmp_path / "p.csv", ["customer", "date", "amount"], rows)
    with pytest.raises(InvalidInput) as info:
        import_purchases(db, path)
    text = str(info.value)
    assert "1 line names customers who are not in the database: add --create-customers" in text
    assert "1 line has a bad date" in text
    assert "to import the other 8 lines now: --skip-invalid" in text


# --- undo never silently overwrites later work (issue 11 item 4, issue 13 item 8) ---------------


def _customer_files(tmp_path: Path) -> tuple[Path, Path]:
    base = write_csv(
        tmp_path / "base.csv", ["code", "name", "phone"], [["A1", "Kim", "010-1111-2222"]]
    )
    update = write_csv(
        tmp_path / "update.csv",
        ["code", "name", "phone", "tags", "email"],
        [["A1", "Kim", "010-3333-4444", "vip", "kim@example.com"], ["A3", "Park", "", "new", ""]],
    )
    return base, update


def test_undo_lists_hand_edits_refuses_and_with_force_takes_back_only_the_import(
    cli, tmp_path, db_path
):
    base, update = _customer_files(tmp_path)
    cli("customers", "import", str(base))
    cli("customers", "import", str(update))
    # By hand, after the import: notes, an address, a tag, a phone; a follow-up for Park.
    phones = ["010-1111-2222", "010-3333-4444", "010-5555-6666"]
    by_hand = ["--notes", "likes tea", "--address", "Busan"]
    cli("customers", "edit", "A1", *by_hand, *[a for p in phones for a in ("--phone", p)])
    cli("customers", "tag", "A1", "handtag")
    cli("customers", "tag", "A3", "friend")
    cli("followups", "add", "A3", "--in", "3d", "--note", "call back")
    refused = cli("imports", "undo", "2", ok=False)
    assert refused.exit_code == 1
    assert "import #2 was not undone: 2 things changed since it" in refused.stderr
    assert "customer #1 (Kim): address, notes, phones, tags changed since the import" in (
        refused.stderr
    )
    assert "customer #2 (Park), added by the import: tags changed; 1 follow-up since" in (
        refused.stderr
    )
    assert "--force" in refused.stderr
    shown = cli("customers", "show", "A1", "--format", "json").stdout
    assert "likes tea" in shown and "kim@example.com" in shown  # nothing was undone
    cli("imports", "undo", "2", "--force")
    from crmcli.db import open_db
    from crmcli.db_url import parse

    db = open_db(parse(str(db_path), source="the test"))
    kim = customers.get(db, 1)
    assert (kim["notes"], kim["address"], kim["email"]) == ("likes tea", "Busan", None)
    assert kim.tags == ("handtag",)  # the import's 'vip' went, the hand-added tag stayed
    assert [p.raw for p in kim.phones] == ["010-1111-2222", "010-5555-6666"]
    positions = "SELECT position FROM customer_phones WHERE customer_id = 1 ORDER BY position"
    assert [r[0] for r in db.execute(positions)] == [0, 1]  # the ones left close ranks
    assert customers.count(db) == 1


def test_undo_without_later_work_needs_no_force(db, tmp_path):
    base, update = _customer_files(tmp_path)
    import_customers(db, base)
    result = import_customers(db, update)
    done = undo_import(db, result.import_id)
    assert (done.added, done.updated, done.overwritten) == (1, 1, [])
    kim = customers.get(db, 1)
    assert (kim["email"], kim.tags, len(kim.phones)) == (None, (), 1)


def _digests(db, import_id):
    import json

    from crmcli.imports import undo as import_undo

    rows = db.execute(
        "SELECT row_id, after FROM import_changes WHERE import_id = ? AND action = 'insert'",
        [import_id],
    ).fetchall()
    read = import_undo.states(db, [r[0] for r in rows])
    return {r[0]: json.loads(r[1])["digest"] for r in rows}, {
        cid: import_undo.digest(state) for cid, state in read.items()
    }


def _varied_customers(tmp_path: Path) -> Path:
    """Every kind of value a customer import stores: scripts, tags out of order and in
    mixed case, two phones, dates (lunar, labelled), flags, a contact window, extras."""
    header = ["code", "name", "phone", "mobile", "email", "birthday", "lunar", "tags",
              "wedding", "anniversary", "contact days", "contact hours", "company",
              "favourite"]  # fmt: skip
    rows = [
        ["K1", "김민준", "02-555-0100", "010-1234-5678", "kim@example.com", "1990-03-04",
         "yes", "vip;online;VIP2;常客", "2015-05-05", "2020-01-01", "mon-fri", "9-18",
         "Acme", "tea"],
        ["J1", "山田太郎", "", "+81 90-2064-4893", "", "", "", "b;A;a", "", "", "", "", "", ""],
        ["", "Ada Lovelace", "(555) 123-4567", "", "ada@example.com", "1915-12-10", "",
         "", "", "2021-02-03", "", "", "", "cake"],
        ["L1", "", "", "", "only@example.com", "", "", "zeta;alpha", "", "", "sat,sun",
         "", "", ""],
    ]  # fmt: skip
    return write_csv(tmp_path / "varied.csv", header, rows)


def test_undo_digests_of_added_customers_are_those_of_the_stored_rows(db, tmp_path, monkeypatch):
    """A big import digests each customer it adds from the values it inserts rather than
    reading them back: the digests must be exactly those of the rows as stored (else
    undo would see every customer as edited since), on either engine."""
    from crmcli.imports import customer_store

    monkeypatch.setattr(customer_store.Writer, "BATCH", 3)  # a batch, and one more
    result = import_customers(db, _varied_customers(tmp_path))
    assert result.counts.added == 4
    stored, read = _digests(db, result.import_id)
    assert len(stored) == 4 and stored == read


@pytest.mark.sqlite_only("a column added by hand to the customers table of a test file")
def test_a_column_with_a_default_has_the_digest_read_back(db, tmp_path):
    """A column the insert leaves to its default (a later migration's) is not in the
    values inserted: those customers are read back for their digest."""
    db.execute("ALTER TABLE customers ADD COLUMN grade TEXT DEFAULT 'B'")
    result = import_customers(db, _varied_customers(tmp_path))
    stored, read = _digests(db, result.import_id)
    assert stored == read
    assert all("grade" in digest["fields"] for digest in stored.values())


def test_a_value_edited_on_top_of_the_imports_is_listed_and_forced_back(db, tmp_path):
    base, update = _customer_files(tmp_path)
    import_customers(db, base)
    result = import_customers(db, update)
    customers.edit(db, 1, email="kim@work.example")
    with pytest.raises(Exception, match="undo puts back the earlier email"):
        undo_import(db, result.import_id)
    undo_import(db, result.import_id, force=True)
    assert customers.get(db, 1)["email"] is None


def test_an_import_recorded_without_its_after_state_still_refuses_over_edits(db, tmp_path):
    base, update = _customer_files(tmp_path)
    import_customers(db, base)
    result = import_customers(db, update)
    db.execute("UPDATE import_changes SET after = NULL")  # as imports made before m076
    db.execute("UPDATE imports SET finished_at = '2000-01-01T00:00:00+00:00'")
    customers.edit(db, 1, notes="by hand")
    with pytest.raises(Exception, match="edited on"):
        undo_import(db, result.import_id)


def test_undo_of_a_changed_line_a_complaint_refers_to_puts_it_back(db, tmp_path):
    from crmcli import complaints

    customers.add(db, code="K1", name="Kim")
    path = write_csv(tmp_path / "p.csv", ["customer", "order", "date", "amount"],
                     [["K1", "O1", "2024-01-01", "100"]])  # fmt: skip
    first = import_purchases(db, path)
    complaints.open_complaint(db, customer_id=1, summary="Broken", by=None, purchase_id=1)
    write_csv(path, ["customer", "order", "date", "amount"], [["K1", "O1", "2024-01-01", "120"]])
    second = import_purchases(db, path)
    undo_import(db, second.import_id)
    row = db.execute("SELECT amount_micros, import_id FROM purchases WHERE id = 1").fetchone()
    assert row == (100_000_000, first.import_id)


def test_a_purchase_a_complaint_refers_to_is_kept_unless_forced(cli, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        ["customer", "order", "date", "amount", "item"],
        [["K1", "O1", "2024-05-01", "100", "Kettle"], ["K1", "O2", "2024-05-02", "20", "Cup"]],
    )
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    cli("purchases", "import", str(path))
    cli("complaints", "open", "K1", "--summary", "Kettle leaks", "--purchase", "1")
    undone = cli("imports", "undo", "1")
    assert "purchase #1 kept: complaint #1 refers to it (--force removes it too)" in undone.stderr
    listed = list(csv.DictReader(io.StringIO(cli("purchases", "list", "--format", "csv").stdout)))
    assert [r["id"] for r in listed] == ["1"]
    # Another import, a complaint on one of its lines, undone with --force: the purchase
    # goes, the complaint stays.
    later = write_csv(
        tmp_path / "q.csv",
        ["customer", "order", "date", "amount"],
        [["K1", "O9", "2024-06-01", "5"]],
    )
    cli("purchases", "import", str(later))
    ids = cli("purchases", "list", "--format", "csv", "--fields", "id").stdout.split()[1:]
    new = max(ids, key=int)
    cli("complaints", "open", "K1", "--summary", "Late", "--purchase", new)
    forced = cli("imports", "undo", "2", "--force")
    assert f"purchase #{new}: complaint #2 refers to it; removed" in forced.stderr
    shown = cli("complaints", "show", "2", "--format", "json").stdout
    assert "Late" in shown


# --- the reliability figures (RELIABILITY.md section 8) -----------------------------------------

FAMILIES = {  # family name, the parent's given name, the child's: in five scripts
    "hangul": ("김", "영희", "철수"),
    "latin": ("Smith", "Mary", "John"),
    "kana": ("やまだ", "はなこ", "たろう"),
    "cyrillic": ("Петрова", "Анна", "Мария"),
    "armenian": ("Պետրոսյան", "Անի", "Արամ"),
}


def test_reliability_another_person_is_never_overwritten(tmp_path, figures):
    from crmcli.db import open_db

    rnd = random.Random(2026)
    attempts = held = 0
    for round_ in range(40):
        db = open_db(tmp_path / f"f{round_}.db")
        script = rnd.choice(sorted(FAMILIES))
        family, parent, child = FAMILIES[script]
        east = script in ("hangul", "kana")  # family name first, no space

        def full(given: str, family: str = family, east: bool = east) -> str:
            return f"{family}{given}" if east else f"{given} {family}"

        shared = rnd.choice(["phone", "email", "both"])
        phone = f"010-{rnd.randint(1000, 9999)}-{rnd.randint(1000, 9999)}"
        email = f"family{round_}@example.com"
        customers.add(
            db, name=full(parent), phones_raw=[phone], email=email, birthday="1960-01-01",
            address="Seoul",
        )  # fmt: skip
        code = rnd.choice(["", f"N{round_}"])  # a new code matching a code-less parent
        row = [code, full(child), phone if shared != "email" else "",
               email if shared != "phone" else "", "1990-06-06", "Busan"]  # fmt: skip
        path = write_csv(
            tmp_path / f"f{round_}.csv",
            ["code", "name", "phone", "email", "birthday", "address"],
            [row],
        )
        for options in ({}, {"skip_invalid": True}):
            attempts += 1
            if options:  # the conflict goes to the rejects file
                import_customers(db, path, **options)
            else:
                with pytest.raises(InvalidInput, match="not the same person"):
                    import_customers(db, path)
            kept = customers.get(db, 1)
            if (kept["name"], kept["birthday"], kept["address"]) == (
                full(parent),
                "1960-01-01",
                "Seoul",
            ) and customers.count(db) == 1:
                held += 1
        db.close()
    figures.record("hostile.another_person", attempts=attempts, held=held)
    assert held == attempts


def test_reliability_undo_never_silently_overwrites_later_work(tmp_path, figures):
    from crmcli.db import open_db
    from crmcli.errors import Conflict

    rnd = random.Random(13)
    attempts = held = 0
    for round_ in range(25):
        db = open_db(tmp_path / f"u{round_}.db")
        base = write_csv(
            tmp_path / "b.csv", ["code", "name", "phone"], [["A1", "Kim", "010-1111-2222"]]
        )
        import_customers(db, base)
        imported = rnd.sample(["email", "address", "company", "tags", "phone"], 2)
        values = {"email": "kim@example.com", "address": "Seoul", "company": "ACME",
                  "tags": "vip", "phone": "010-3333-4444"}  # fmt: skip
        update = write_csv(
            tmp_path / "u.csv",
            ["code", *imported],
            [["A1", *(values[f] for f in imported)]],
        )
        result = import_customers(db, update)
        hand = rnd.choice(["notes", "occupation", "tag", "phone"])
        if hand == "tag":
            customers.tag(db, 1, ["handmade"])
        elif hand == "phone":
            now = [p.raw for p in customers.get(db, 1).phones]
            customers.edit(db, 1, phones_raw=[*now, "010-9999-0000"])
        else:
            customers.edit(db, 1, **{hand: "by hand"})
        attempts += 1
        try:
            undo_import(db, result.import_id)
        except Conflict as exc:
            refused = "changed since the import" in str(exc)
        else:
            refused = False
        undo_import(db, result.import_id, force=True)
        kim = customers.get(db, 1)
        survived = {
            "tag": "handmade" in kim.tags,
            "phone": "010-9999-0000" in [p.raw for p in kim.phones],
        }.get(hand, kim.fields.get(hand) == "by hand")
        undone = all(
            (f == "tags" and "vip" not in kim.tags)
            or (f == "phone" and "010-3333-4444" not in [p.raw for p in kim.phones])
            or (f not in ("tags", "phone") and kim.fields.get(f) is None)
            for f in imported
        )
        if refused and survived and undone:
            held += 1
        db.close()
    figures.record("hostile.undo_over_later_work", attempts=attempts, held=held)
    assert held == attempts
