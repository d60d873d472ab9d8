"""customers import: encodings, header layouts, --map, one transaction, problems, dry run."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crmcli import customers
from crmcli.errors import InvalidInput, InvalidValue, UsageError
from crmcli.imports import journal
from crmcli.imports.customers import import_customers
from crmcli.imports.undo import undo as undo_import
from tests.conftest import FIXTURES


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_korean_cp949_file_keeps_every_customer_and_its_hangul(db):
    result = import_customers(db, FIXTURES / "customers-kr-cp949.csv")
    assert result.encoding == "cp949"
    assert result.counts.added == 1468
    assert customers.count(db) == 1468
    first = customers.get(db, customers.resolve(db, "USER_1358"))
    assert first["gender"] == "남"
    assert first.extra == {"고객지역": "Chicago", "가입기간": "12"}
    assert result.unmapped == ["고객지역", "가입기간"]


def test_reimporting_the_same_file_changes_nothing(db):
    import_customers(db, FIXTURES / "customers-kr-cp949.csv")
    again = import_customers(db, FIXTURES / "customers-kr-cp949.csv")
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 1468)


def test_google_legacy_csv(db):
    result = import_customers(db, FIXTURES / "contacts" / "roundcube-gmail.csv")
    assert result.counts.added == 1
    c = customers.get(db, 1)
    assert c["name"] == "Prefix Firstname Middle Lastname Suffix"
    assert (c["given_name"], c["family_name"]) == ("Firstname", "Lastname")
    assert c["birthday"] == "1975-12-12"
    assert c["email"] == "home@aaa.pl"
    assert c.extra["E-mail 2 - Value"] == "work@email.pl"
    assert c.extra["Phone 2 - Value"] == "mainphone"  # not a number, but kept
    assert set(c.tags) == {"My Contacts", "Test"}
    assert c["company"] == "company"


def test_google_current_layout_with_labels_and_events(db, tmp_path):
    path = write(
        tmp_path,
        "google.csv",
        "First Name,Middle Name,Last Name,Birthday,Labels,E-mail 1 - Label,E-mail 1 - Value,"
        "Phone 1 - Label,Phone 1 - Value,Event 1 - Label,Event 1 - Value\n"
        "Minjun,,Kim,--03-14,* myContacts ::: VIP,* Home,mj@example.kr,Mobile,"
        "010-1234-5678 ::: 02-555-0101,Anniversary,2012-05-19\n",
    )
    import_customers(db, path)
    c = customers.get(db, 1)
    assert c["name"] == "Minjun Kim"
    assert c["birthday"] == "--03-14"
    assert [(p.raw, p.label) for p in c.phones] == [
        ("010-1234-5678", "Mobile"),
        ("02-555-0101", "Mobile"),
    ]
    assert [(d.label, d.date) for d in c.dates] == [("anniversary", "2012-05-19")]
    assert "VIP" in c.tags


def test_outlook_layout_and_its_empty_dates(db, tmp_path):
    path = write(
        tmp_path,
        "outlook.csv",
        "First Name,Middle Name,Last Name,Company,Job Title,Mobile Phone,Home Phone,"
        "Birthday,Anniversary,Categories,E-mail Address,Notes\n"
        "John,,Doe,IBM,Money Counter,0105551234,,3/22/1980,0/0/00,Trade;VIP,"
        "john@ibm.com,likes tea\n",
    )
    import_customers(db, path)
    c = customers.get(db, 1)
    assert c["birthday"] == "1980-03-22"
    assert c.dates == ()
    assert [(p.raw, p.label) for p in c.phones] == [("0105551234", "Mobile")]
    assert (c["company"], c["occupation"], c["notes"]) == ("IBM", "Money Counter", "likes tea")
    assert set(c.tags) == {"Trade", "VIP"}


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_japanese_excel_headers_and_dates(db, tmp_path, encoding):
    path = write(
        tmp_path,
        "jp.csv",
        "氏名,氏名（カタカナ）,電話番号,生年月日\r\n"
        "山田 太郎,ヤマダ タロウ,090-1234-5678,1967/12/23\r\n"
        "佐藤 花子,サトウ ハナコ,03-1234-5678,1980年1月2日\r\n",
        encoding,
    )
    result = import_customers(db, path)
    assert result.encoding == encoding
    rows = list(customers.rows(db))
    assert [r["name"] for r in rows] == ["山田 太郎", "佐藤 花子"]
    assert [r["birthday"] for r in rows] == ["1967-12-23", "1980-01-02"]
    assert rows[0]["phone"] == "090-1234-5678"


def test_chinese_gb18030_and_big5(db, tmp_path):
    gb = write(tmp_path, "cn.csv", "姓名,电话,生日\n王小明,13800138000,1990-01-02\n", "gb18030")
    big5 = write(tmp_path, "tw.csv", "姓名,電話號碼\n陳大文,0912345678\n", "big5")
    assert import_customers(db, gb).counts.added == 1
    assert import_customers(db, big5).counts.added == 1
    assert [r["name"] for r in customers.rows(db)] == ["王小明", "陳大文"]


def test_semicolon_file_with_leading_zeros_and_map(db, tmp_path):
    path = write(
        tmp_path, "x.csv", "Kundennr;Kunde;Telefon;PLZ\n00042;Anna Schmidt;0301234567;01067\n"
    )
    import_customers(db, path, mapping={"Kundennr": "code", "Kunde": "name", "PLZ": "postcode"})
    c = customers.get(db, 1)
    assert (c["code"], c["postcode"]) == ("00042", "01067")
    assert c.extra == {"Telefon": "0301234567"}


def test_map_to_an_unknown_field_or_column_is_a_usage_error(db, tmp_path):
    path = write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(UsageError, match="shoe_size"):
        import_customers(db, path, mapping={"a": "shoe_size"})
    with pytest.raises(UsageError, match="no column"):
        import_customers(db, path, mapping={"zzz": "name"})


def test_empty_and_duplicate_headers_are_kept_apart(db, tmp_path):
    # (a blank header right after a named one continues it: see test_import_reading.py)
    path = write(tmp_path, "x.csv", ",name,note,note\na,Kim,b,c\n")
    import_customers(db, path, mapping={"note": "extra"})
    assert customers.get(db, 1).extra == {"column 1": "a", "note": "b", "note (2)": "c"}


def test_a_repeated_header_is_reported_and_its_value_kept(db, tmp_path):
    path = write(tmp_path, "x.csv", "code,name,name\nD1,Alice,Alicia\nD2,Bob,Bob\n")
    result = import_customers(db, path)
    assert "name (2)" in result.unmapped
    assert (
        "name (2) is a second name column: kept as an extra field where it differs" in result.notes
    )
    assert customers.get(db, customers.resolve(db, "D1")).extra == {"name (2)": "Alicia"}
    assert customers.get(db, customers.resolve(db, "D2")).extra == {}


def test_a_bad_row_in_the_middle_aborts_and_names_every_problem(db, tmp_path):
    rows = ["name,email,birthday"] + [f"C{i},c{i}@example.com,1980-01-01" for i in range(10)]
    rows[5] = "Bad,not-an-email,1980-02-30"
    rows[8] = "Worse,w@example.com,yesterday"
    path = write(tmp_path, "x.csv", "\n".join(rows) + "\n")
    with pytest.raises(InvalidInput) as info:
        import_customers(db, path)
    where = [(p.line, p.field) for p in info.value.problems]
    assert where == [(6, "email"), (6, "birthday"), (9, "birthday")]  # every bad value of row 6
    assert customers.count(db) == 0
    assert list(journal.list_imports(db)) == []


def test_skip_invalid_writes_exactly_the_bad_rows(db, tmp_path):
    path = write(tmp_path, "x.csv", "name,email\nA,a@example.com\nB,nope\nC,c@example.com\n")
    result = import_customers(db, path, skip_invalid=True)
    assert (result.counts.added, result.counts.rejected) == (2, 1)
    with result.rejects.open(encoding="utf-8") as f:
        rejected = list(csv.reader(f))
    assert rejected[0] == ["name", "email", "reason"]
    assert rejected[1][:2] == ["B", "nope"] and "e-mail" in rejected[1][2]
    assert len(rejected) == 2


def test_dry_run_counts_and_writes_nothing(db, tmp_path):
    path = write(tmp_path, "x.csv", "code,name\nA1,Kim\nA2,Lee\n")
    import_customers(db, path)
    path.write_text("code,name\nA1,Kim\nA2,Lee Seoyeon\nA3,Park\n", encoding="utf-8")
    result = import_customers(db, path, dry_run=True, on_conflict="update")
    c = result.counts
    assert (c.added, c.updated, c.unchanged) == (1, 1, 1)
    assert customers.count(db) == 2
    assert customers.get(db, 2)["name"] == "Lee"


def test_matching_by_phone_then_email_and_on_conflict(db, tmp_path):
    customers.add(db, name="김민준", phones_raw=["010-1234-5678"])
    customers.add(db, name="Lee", email="lee@example.kr")
    path = write(
        tmp_path, "x.csv", "name,phone,email,memo\n김민준,01012345678,,a\nLee,,LEE@example.kr,b\n"
    )
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.updated) == (0, 2)
    assert customers.get(db, 1)["notes"] == "a"
    with pytest.raises(InvalidInput, match="already stored"):
        import_customers(db, path, on_conflict="error")
    skipped = import_customers(db, path, on_conflict="skip")
    assert skipped.counts.unchanged == 2


def test_ambiguous_birthday_column_needs_a_date_order(db, tmp_path):
    path = write(tmp_path, "x.csv", "name,birthday\nA,03/01/19\nB,04/02/18\n")
    with pytest.raises(InvalidValue, match="--date-order"):  # bad input: exit 1
        import_customers(db, path)
    import_customers(db, path, date_order="DMY")
    assert customers.get(db, 1)["birthday"] == "2019-01-03"


def test_birthday_order_is_inferred_from_the_unambiguous_rows(db, tmp_path):
    path = write(tmp_path, "x.csv", "name,birthday\nA,03/01/1990\nB,25/12/1985\n")
    import_customers(db, path)
    assert customers.get(db, 1)["birthday"] == "1990-01-03"


def test_mojibake_is_refused_not_guessed(db, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"name\n\xff\x98\xfc\n")  # no candidate code page decodes this
    with pytest.raises(InvalidInput, match="--encoding"):
        import_customers(db, path)


def test_undo_restores_updates_and_removes_additions(db, tmp_path):
    first = write(tmp_path, "a.csv", "code,name,phone\nA1,Kim,010-1111-2222\n")
    import_customers(db, first)
    second = write(
        tmp_path, "b.csv", "code,name,phone,tags\nA1,Kim Minjun,010-3333-4444,vip\nA2,Lee,,\n"
    )
    result = import_customers(db, second)
    assert customers.count(db) == 2
    undo_import(db, result.import_id)
    kim = customers.get(db, 1)
    assert kim["name"] == "Kim" and kim.tags == ()
    assert [p.raw for p in kim.phones] == ["010-1111-2222"]
    assert customers.count(db) == 1
    assert json.loads(json.dumps(list(journal.list_imports(db))))[1]["undone_at"]


def test_undo_of_a_customer_two_rows_updated_restores_the_state_before_the_first(db, tmp_path):
    # Two records for one customer: undo takes the first one's `before` (the records
    # read in the order written: import_changes.id, m127), never the second's.
    import_customers(db, write(tmp_path, "a.csv", "code,name,email\nA1,Kim,\n"))
    twice = "code,name,email\nA1,Kim,one@example.com\nA1,Kim Minjun,two@example.com\n"
    result = import_customers(db, write(tmp_path, "b.csv", twice), on_conflict="update")
    assert result.counts.updated == 2
    assert customers.get(db, 1)["email"] == "two@example.com"
    undo_import(db, result.import_id)
    kim = customers.get(db, 1)
    assert (kim["name"], kim["email"]) == ("Kim", None)


def test_m127_numbers_the_records_written_before_it_in_their_written_order(db, engine):
    from crmcli.migrations import m127_import_changes_order as m127

    sqlite = engine == "sqlite"
    with db.write():  # the journal as it was before m127: no id column
        if sqlite:
            db.execute("DROP TABLE import_changes")
            db.execute(
                "CREATE TABLE import_changes (import_id INTEGER NOT NULL REFERENCES imports(id)"
                " ON DELETE CASCADE, table_name TEXT NOT NULL, row_id INTEGER NOT NULL,"
                " action TEXT NOT NULL CHECK (action IN ('insert', 'update')), before TEXT,"
                " after TEXT)"
            )
        else:  # nor the trigger m128 numbers it by
            db.execute("DROP TRIGGER import_changes_ids ON import_changes")
            db.execute("ALTER TABLE import_changes DROP COLUMN id")
        db.executemany(
            "INSERT INTO imports (id, kind, file_name, sha256, started_at)"
            " VALUES (?, 'customers', ?, 'x', '2026-01-01')",
            [(1, "1.csv"), (2, "2.csv")],
        )
        written = [(2, 10), (1, 5), (2, 11), (1, 6), (2, 99), (2, 12), (1, 7)]
        for import_id, row_id in written:
            db.execute(
                "INSERT INTO import_changes (import_id, table_name, row_id, action)"
                " VALUES (?, 'customers', ?, 'update')",
                [import_id, row_id],
            )
        db.execute("DELETE FROM import_changes WHERE row_id = 99")  # a forgotten customer's
        if sqlite:
            rowids = db.execute("SELECT row_id, rowid FROM import_changes").fetchall()
            m127.migrate(db)
        else:
            db.conn.execute(m127.POSTGRESQL)
    stored = db.execute("SELECT import_id, row_id, id FROM import_changes ORDER BY id").fetchall()
    for import_id, rows in ((1, [5, 6, 7]), (2, [10, 11, 12])):
        assert [r for i, r, _ in stored if i == import_id] == rows
    if sqlite:  # each record's id is the rowid it had: nothing renumbered
        assert sorted((r, n) for _, r, n in stored) == sorted(rowids)
    with db.write():  # the next record is numbered after them, as SQLite's next rowid
        db.execute(
            "INSERT INTO import_changes (import_id, table_name, row_id, action)"
            " VALUES (1, 'customers', 8, 'insert')"
        )
    last = db.execute("SELECT row_id, id FROM import_changes ORDER BY id DESC").fetchone()
    assert last == (8, max(n for _, _, n in stored) + 1)


def test_cli_import_lists_problems_and_exits_1(cli, tmp_path):
    path = write(tmp_path, "x.csv", "name,email\nA,a@example.com\nB,nope\n")
    result = cli("customers", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert "x.csv:3: email: 'nope' is not an e-mail address" in result.stderr
    assert "nothing was imported" in result.stderr
    ok = cli("customers", "import", str(FIXTURES / "customers-kr-cp949.csv"))
    summary = next(csv.DictReader(io.StringIO(ok.stdout)))
    assert (summary["encoding"], summary["added"]) == ("cp949", "1468")
    listed = cli("imports", "list").stdout
    assert "customers-kr-cp949.csv" in listed


def test_a_row_matching_one_still_queued_updates_it(db, tmp_path, monkeypatch):
    from crmcli.imports import customer_store

    monkeypatch.setattr(customer_store.Writer, "BATCH", 2)  # batches flush mid-file too
    path = write(
        tmp_path,
        "x.csv",
        "code,name,phone,email,tags\n"
        "K1,Kim,010-1234-5678,,a\n"
        "K2,Lee,,lee@example.com,b\n"
        ",Kim,01012345678,,c\n"  # the same phone as K1, written differently
        ",Lee L.,,LEE@example.com,d\n"  # K2's e-mail
        "K1,,,,e\n"
        "K3,Park,,,\n",
    )
    result = import_customers(db, path)
    # Rows 4-6 are customers rows 2-3 added: merged into them, not counted as updates.
    assert (result.counts.added, result.counts.merged, result.counts.updated) == (3, 3, 0)
    assert customers.get(db, 1).tags == ("a", "c", "e")
    assert customers.get(db, 2).tags == ("b", "d")
    assert customers.get(db, 3)["code"] == "K3"
    undo_import(db, result.import_id)
    assert customers.count(db) == 0


def test_rejects_give_every_problem_of_a_row(db, tmp_path):
    path = write(tmp_path, "x.csv", "name,email,birthday\nA,nope,1980-02-30\nB,b@example.com,\n")
    result = import_customers(db, path, skip_invalid=True)
    with result.rejects.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 2
    assert "email" in rows[1][-1] and "birthday" in rows[1][-1]


def test_control_characters_are_a_problem_but_line_breaks_in_notes_are_text(db, tmp_path):
    path = write(
        tmp_path, "x.csv", 'code,name,notes\nN1,"Al\x1b[31mice",\nN2,Bob,"line one\nline two"\n'
    )
    with pytest.raises(
        InvalidInput, match=r"x.csv:2: name: contains a control character \(U\+001B\)"
    ):
        import_customers(db, path)
    assert customers.count(db) == 0
    import_customers(db, path, skip_invalid=True)
    assert customers.get(db, customers.resolve(db, "N2"))["notes"] == "line one\nline two"


def search_triggers(db) -> list[tuple[str, str]]:
    return db.execute(
        "SELECT name, sql FROM sqlite_master"
        " WHERE type = 'trigger' AND (name LIKE 'customers_fts%' OR name LIKE 'customers_words%'"
        " OR name LIKE 'customer_phones_fts%')"
        " ORDER BY name"
    ).fetchall()


@pytest.mark.sqlite_only(
    "FTS5 triggers read from sqlite_master; a server keeps its GIN search indexes itself"
)
def test_a_big_import_rebuilds_the_search_index_and_a_failed_one_keeps_it(
    db, tmp_path, monkeypatch
):

    from crmcli.imports import customer_store

    bulk = customer_store.SEARCH_UPKEEP._replace(min_rows=5)
    monkeypatch.setattr(customer_store, "SEARCH_UPKEEP", bulk)
    triggers = search_triggers(db)
    assert triggers  # the index is kept up by triggers on customers
    rows = "".join(f"C{i},Kim Minjun{i},010-5555-{1000 + i}\n" for i in range(40))
    bad = write(tmp_path, "bad.csv", "code,name,email\n" + rows.replace("010-", "x@", 1))
    with pytest.raises(InvalidInput):  # refused: triggers and index as they were
        import_customers(db, bad)
    assert search_triggers(db) == triggers
    good = write(tmp_path, "good.csv", "code,name,phone\n" + rows)
    assert import_customers(db, good).counts.added == 40
    assert search_triggers(db) == triggers  # made again after the rebuild
    assert (
        len(list(customers.search(db, "Minjun3"))) == 11
    )  # 3, 30-39  # rebuilt: the new rows are found
    customers.add(db, code="L1", name="Lee Seoyeon")  # and kept up again afterwards
    assert len(list(customers.search(db, "Seoyeon"))) == 1
    # The word index (two letters) and the phone digits' index are rebuilt as well.
    hangul = write(tmp_path, "ko.csv", "code,name\n" + "".join(f"K{i},김민준\n" for i in range(10)))
    kept_up: list[list[str]] = []  # the search triggers there while the rows are written
    flush = customer_store.Writer.flush

    checked: set[int] = set()  # foreign keys: the import made every reference itself

    def watched(self):
        kept_up.append([name for name, _sql in search_triggers(db)])
        checked.add(db.execute("PRAGMA foreign_keys").fetchone()[0])
        flush(self)

    monkeypatch.setattr(customer_store.Writer, "flush", watched)
    assert import_customers(db, hangul).counts.added == 10
    assert kept_up and not any(kept_up)  # ...built once after the rows, not row by row
    assert search_triggers(db) == triggers
    assert checked == {0} and db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert len(list(customers.search(db, "민준"))) == 10
    assert len(list(customers.search(db, "5555-1039"))) == 1
    for name in SEARCH_INDEXES:  # each index holds exactly its content
        db.execute(f"INSERT INTO {name}({name}, rank) VALUES('integrity-check', 1)")


SEARCH_INDEXES = ("customers_fts", "customers_words", "customer_phones_fts")


@pytest.mark.sqlite_only("SQLite's FTS5 search indexes, built by the bulk load itself")
def test_a_bulk_load_builds_the_search_indexes_in_rowid_order_and_whole(db):
    """FTS5's own 'rebuild' read customer_phones through its digits index, out of rowid
    order: a segment per row, ~10x the time. The bulk load feeds it in order: the same
    index (integrity-check compares it with the content), written whole. How it was fed
    shows in the blocks it holds, not in a clock: timings belong to benchmarks/."""
    import random

    rng = random.Random(5)
    n = 4_000
    with db.write(), db.bulk_loading(["customers", "customer_phones"], indexes=False):
        db.executemany(
            "INSERT INTO customers (id, name, search_key, created_at, updated_at)"
            " VALUES (?, ?, ?, '2026-01-01', '2026-01-01')",
            ((i, f"Kim {i}", f"kim {i} | kim{i}") for i in range(1, n + 1)),
        )
        numbers = [f"010{rng.randrange(10**8):08d}" for _ in range(n)]
        db.executemany(
            "INSERT INTO customer_phones (customer_id, raw, digits) VALUES (?, ?, ?)",
            ((i + 1, d, d) for i, d in enumerate(numbers)),
        )
    for name in SEARCH_INDEXES:  # raises if the index differs from its content
        db.execute(f"INSERT INTO {name}({name}, rank) VALUES('integrity-check', 1)")
    assert (
        db.execute(
            "SELECT count(*) FROM customer_phones_fts WHERE customer_phones_fts MATCH ?",
            [numbers[7][3:9]],
        ).fetchone()[0]
        >= 1
    )
    # Written whole: as few pages as FTS5's own rebuild of content read in rowid order
    # would write, not a segment per row (the pages an index has tell how it was fed).
    ours = {name: _fts_pages(db, name) for name in SEARCH_INDEXES}
    with db.write():
        for name in SEARCH_INDEXES:
            db.execute(f"INSERT INTO {name}({name}) VALUES('rebuild')")
    theirs = {name: _fts_pages(db, name) for name in SEARCH_INDEXES}
    assert ours["customer_phones_fts"] * 4 < theirs["customer_phones_fts"] * 3, (ours, theirs)
    assert all(ours[name] <= theirs[name] for name in SEARCH_INDEXES), (ours, theirs)


def _fts_pages(db, name: str) -> int:
    """How many blocks an FTS5 index holds (its %_data shadow table's rows)."""
    return db.execute(f"SELECT count(*) FROM {name}_data").fetchone()[0]


def test_rows_with_codes_sharing_a_name_are_written_in_one_batch(db, tmp_path, monkeypatch):
    """A name is what a row is matched by only when it gives nothing else: namesakes with
    codes or phones (김민준 is common) do not cut the batch the rows are written in."""
    from crmcli.imports import customer_store

    flushes: list[int] = []
    flush = customer_store.Writer.flush

    def counted(self):
        flushes.append(len(self.added))
        flush(self)

    monkeypatch.setattr(customer_store.Writer, "flush", counted)
    rows = "".join(f"K{i},김민준,010-4444-{1000 + i}\n" for i in range(6))
    rows += "".join(f"L{i},김민준,\n" for i in range(3))
    result = import_customers(db, write(tmp_path, "k.csv", "code,name,phone\n" + rows))
    assert result.counts.added == 9
    assert flushes == [9]
    # A row giving only that name is still matched to the one stored customer of that name.
    only = import_customers(db, write(tmp_path, "n.csv", "name,email\n이서연,\n"))
    again = import_customers(db, write(tmp_path, "m.csv", "name,birthday\n이서연,1990-01-02\n"))
    assert (only.counts.added, again.counts.updated) == (1, 1)


def test_the_files_own_language_evidence_is_said_in_a_whole_sentence(db, tmp_path):
    """What a file says of its customers' language: its headers, or its encoding."""
    by_headers = tmp_path / "kr.csv"
    by_headers.write_text("이름,전화\n김민준,010-1234-5678\n", encoding="utf-8")
    said = import_customers(db, by_headers).notes
    assert (
        "locale ko for the rows whose names and phones tell nothing stronger "
        "(the file's headers are in it)"
    ) in said
    by_encoding = tmp_path / "jp.csv"
    by_encoding.write_bytes("name,phone\nカタカナ,090-1234-5678\n".encode("cp932"))
    said = import_customers(db, by_encoding).notes
    assert any(n.endswith("(the file is encoded cp932)") for n in said), said
