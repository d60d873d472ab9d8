"""purchases import on PostgreSQL checks its lines in SQL over a staging table
(`imports/staging.py`, `purchases._staged`): the same outcome as SQLite's line-by-line
way for every kind of file — what is stored (ids, values, line keys), the counts, the
refusals word for word, the rejects file.

Each file is imported into an SQLite file and into a server database, and the two
compared whole: these tests need a server (the `pg_url` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcli import customers
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.errors import InvalidInput
from crmcli.imports import reading, staging
from crmcli.imports.purchases import import_purchases

HEADER = "customer,date,amount,quantity,unit_price,order_id,item,category,delivery_date,note\n"
PLAIN = (
    HEADER + "A,2025-01-05,12.50,2,,O1,tea,food,,\n"
    "B,2025-01-06,3,,,O1,cup,home,2025-01-09,gift\n"
    ",2025-01-06,4.25,,,,walk-in,food,,\n"  # an anonymous sale
    "A,2024-02-29,,3,1.5,O2,tea,food,,\n"  # quantity × unit price
    "B,2025-12-31,-2.00,,,O1,cup,home,,return\n"
)


def open_both(tmp_path: Path, pg_url: str):
    """An SQLite file and a server database, each with the same three customers."""
    engines = [open_db(parse(str(w), source="test")) for w in (tmp_path / "ref.db", pg_url)]
    for db in engines:
        for code, email in (("A", "a@example.com"), ("B", "b@example.com"), ("C", None)):
            customers.add(db, code=code, name=f"Customer {code}", email=email)
    return engines


def outcome(db, path: Path, **options) -> dict[str, object]:
    """Everything an import shows or leaves, but its timestamps."""
    try:
        result = import_purchases(db, path, **options)
        shown: object = (
            result.counts,
            result.import_id,
            result.customers_created,
            result.notes,
            [str(p) for p in result.problems],
            result.problem_count,
            result.markers,
        )
    except InvalidInput as exc:
        shown = ("refused", str(exc), [str(p) for p in exc.problems])
    rejects = path.with_name(f"{path.stem}.rejects.csv")
    rejected = rejects.read_text(encoding="utf-8") if rejects.exists() else None
    rejects.unlink(missing_ok=True)
    return {
        "shown": shown,
        "rejects": rejected,
        "purchases": db.execute(
            "SELECT id, customer_id, date, amount_micros, CAST(quantity AS text),"
            " unit_price_micros, order_id, line_id, line_no, line_key, item, category,"
            " delivery_date, note, import_id FROM purchases ORDER BY id"
        ).fetchall(),
        "customers": db.execute("SELECT id, code, name FROM customers ORDER BY id").fetchall(),
        "changes": db.execute(
            "SELECT import_id, table_name, row_id, action FROM import_changes"
            " ORDER BY import_id, table_name, row_id"
        ).fetchall(),
    }


def same_on_both(tmp_path: Path, pg_url: str, files, **options) -> list[dict[str, object]]:
    """Import each (name, bytes) of `files` in turn on both engines: equal at every step."""
    sqlite_db, server_db = open_both(tmp_path, pg_url)
    seen = []
    try:
        for name, data in files:
            path = tmp_path / name
            path.write_bytes(data)
            ours, theirs = outcome(sqlite_db, path, **options), outcome(server_db, path, **options)
            # SQLite stores a whole quantity as 2, a server's numeric as '2': the same number.
            for row in ours["purchases"]:  # type: ignore[attr-defined]
                row_quantity = row[4]
                assert row_quantity is None or float(row_quantity) == float(
                    next(r[4] for r in theirs["purchases"] if r[0] == row[0])  # type: ignore[attr-defined]
                )
            for out in (ours, theirs):
                out["purchases"] = [r[:4] + r[5:] for r in out["purchases"]]  # type: ignore[attr-defined]
            for key in ours:
                assert theirs[key] == ours[key], (name, key)
            seen.append(ours)
    finally:
        sqlite_db.close()
        server_db.close()
    return seen


def test_a_plain_file_is_stored_as_on_sqlite(tmp_path, pg_url):
    (first,) = same_on_both(tmp_path, pg_url, [("p.csv", PLAIN.encode())])
    keys = [r[8] for r in first["purchases"]]  # type: ignore[index]
    assert keys[:2] == ["O:O1#1", "O:O1#2"] and keys[2].startswith("F:") and keys[4] == "O:O1#3"
    assert [r[3] for r in first["purchases"]] == [  # type: ignore[index]
        12_500_000,
        3_000_000,
        4_250_000,
        4_500_000,
        -2_000_000,
    ]


@pytest.mark.parametrize(
    "name, text",
    [
        ("quoted.csv", HEADER + 'A,2025-01-05,"1,234.50",,,O1,"tea, green",food,,\n'),
        ("marker.csv", HEADER + "A,2025-01-05,12.50,N/A,,O1,tea,food,-,\n"),
        (
            "blank.csv",
            HEADER + "A,2025-01-05,12.50,,,O1,tea,food,,\n\n  \nB,2025-01-06,3,,,O1,,,,\n",
        ),
        ("ragged.csv", HEADER + "A,2025-01-05,12.50\nB,2025-01-06,3,,,O1,cup,home,,,extra,more\n"),
        ("crlf.csv", (HEADER + "A,2025-01-05,1\nB,2025-01-06,2\n").replace("\n", "\r\n")),
        ("padded.csv", HEADER + " A ,2025-01-05 , 7.5,2 ,,O1 ,\u00a0tea\u3000,food,,\n"),
        ("endmark.csv", HEADER + "A,2025-01-05,1,,,,\\.,,,\nB,2025-01-06,2,,,,,,,\n"),
        ("no-newline.csv", HEADER + "A,2025-01-05,1,,,,,,,\nB,2025-01-06,2,,,,,,,"),
        ("dates.csv", HEADER + "A,3/4/2025,1,,,,,,,\nA,2024-02-29,2,,,,,,2025-1-2,\n"),
        ("digits.csv", HEADER + "A,2025-01-05,\u0661\u0662.5,\u0663,,,,,,\n"),
        (
            "mixed-keys.csv",
            "customer,date,amount,order_id,line_id\nA,2025-01-05,1,O1,\nA,2025-01-05,2,O1,X1\n"
            "A,2025-01-05,3,O1,\nB,2025-01-05,4,O2,X1\nB,2025-01-06,5,,\n",
        ),
        (
            "mixed-keys-ok.csv",
            "customer,date,amount,order_id,line_id\nA,2025-01-05,1,O1,\nA,2025-01-05,2,O1,X1\n"
            "A,2025-01-05,3,O1,\nB,2025-01-05,4,O2,X2\nB,2025-01-06,5,,\nB,2025-01-06,6,O2,\n",
        ),
    ],
)
def test_files_the_server_cannot_read_as_they_are_come_out_the_same(tmp_path, pg_url, name, text):
    same_on_both(tmp_path, pg_url, [(name, text.encode())])


def test_a_semicolon_file_with_decimal_commas_and_another_encoding(tmp_path, pg_url):
    text = "customer;date;amount;item\nA;25.01.2025;12,50;Käse\nB;26.01.2025;1.234,00;Brötchen\n"
    same_on_both(tmp_path, pg_url, [("p.csv", text.encode("cp1252"))])


def test_bad_lines_are_refused_in_the_same_words(tmp_path, pg_url):
    text = (
        HEADER + "A,2025-02-29,1,,,,,,,\n"  # not a day
        "A,1899-12-31,1,,,,,,,\n"  # before the dates crmcli handles
        "A,2025-13-01,1,,,,,,,\n"
        "Z,2025-01-05,1,,,,,,,\n"  # no such customer
        "A,2025-01-05,,,,,,,,\n"  # no amount
        "A,2025-01-05,99999999999999,,,,,,,\n"  # beyond the largest amount
        "A,2025-01-05,abc,x,,,,,,\n"  # two problems on one line
    )
    (refused,) = same_on_both(tmp_path, pg_url, [("bad.csv", text.encode())])
    assert refused["shown"][0] == "refused"  # type: ignore[index]
    assert "bad.csv:2: date" in refused["shown"][1]  # type: ignore[index]
    assert refused["purchases"] == []


def test_skipped_lines_keep_order_positions_as_on_sqlite(tmp_path, pg_url):
    """A line refused for its delivery date has taken its place in its order (read_line
    checks it last); one refused for its date has not: the later lines' keys show it."""
    text = (
        HEADER + "A,2025-01-05,1,,,O1,a,,,\n"
        "A,2025-01-05,2,,,O1,b,,someday,\n"  # bad delivery date: counted in O1
        "A,not a date,3,,,O1,c,,,\n"  # bad date: not counted
        "Z,2025-01-05,4,,,O1,d,,,\n"  # unknown customer: not counted
        "A,2025-01-05,5,,,O1,e,,,\n"
        ",2025-01-05,6,,,O1,f,,,\n"  # anonymous, left out: not counted
        "B,2025-01-05,7,,,O1,g,,,\n"
    )
    (done,) = same_on_both(
        tmp_path, pg_url, [("p.csv", text.encode())], skip_invalid=True, skip_anonymous=True
    )
    assert [r[8] for r in done["purchases"]] == ["O:O1#1", "O:O1#3", "O:O1#4"]  # type: ignore[index]
    assert done["rejects"].count("\n") == 5  # the header, then b, c, d and f


def test_reimports_repeats_and_updates_as_on_sqlite(tmp_path, pg_url):
    head = "customer,date,amount,line_id,item\n"
    first = head + "A,2025-01-05,1,L1,tea\nB,2025-01-06,2,L2,cup\nA,2025-01-07,3,L3,pot\n"
    again = (
        head + "A,2025-01-05,1,L1,tea\n"  # unchanged
        "B,2025-01-06,2.5,L2,cup\n"  # changed: updated
        "A,2025-01-08,4,L4,lid\n"  # new
        "A,2025-01-08,4,L4,lid\n"  # a repeat of the line before
        "A,2025-01-09,5,L2,cup\n"  # a repeat of an updated line
    )
    seen = same_on_both(
        tmp_path,
        pg_url,
        [("p.csv", first.encode()), ("p2.csv", again.encode()), ("p.csv", first.encode())],
        skip_invalid=True,
    )
    counts = seen[1]["shown"][0]  # type: ignore[index]
    assert (counts.added, counts.unchanged) == (1, 1)
    assert counts.updated + counts.rejected == 3  # L2, and the repeats of L4 and L2
    again_first = seen[2]["shown"][0]  # type: ignore[index]
    assert (again_first.updated, again_first.unchanged) == (1, 2)  # L2 back as it was


def test_new_customers_and_e_mails_as_on_sqlite(tmp_path, pg_url):
    text = (
        "customer,customer_name,date,amount\n"
        "N1,New One,2025-01-05,1\n"
        "a@example.com,,2025-01-06,2\n"  # an e-mail names customer A
        "N1,New One,2025-01-07,3\n"
        "N2,,2025-01-08,4\n"
    )
    (done,) = same_on_both(tmp_path, pg_url, [("p.csv", text.encode())], create_customers=True)
    assert [c[1] for c in done["customers"]] == ["A", "B", "C", "N1", "N2"]  # type: ignore[index]


def staged_rows(
    pg_url: str, path: Path, encoding: str | None = None
) -> tuple[staging.Staged, list[tuple[object, ...]]]:
    db = open_db(parse(pg_url, source="test"))
    try:
        with reading.open_table(path, encoding=encoding) as table, db.write():
            staged = staging.stage(db, table)
            rows = db.execute(
                f"SELECT line, {staged.cells} FROM {staged.table} ORDER BY line"
            ).fetchall()
    finally:
        db.close()
    return staged, rows


@pytest.mark.parametrize(
    "text, copied, stripped",
    [
        ("a,b,c\n1,2,3\n4,5,6\n", True, True),
        ("a,b,c\n1,2,3\n4,5,6", True, True),  # no line break at the end
        ("a,b,c\r\n1,2,3\r\n4,5,6\r\n", True, True),
        ("a,b,c\n1, 2,3\n4,5,6\n", True, False),  # white space around a value
        ("a\tb\tc\n1\t2 x\t3\n\t\t6\n", True, True),  # a tab file: tabs are not padding
        ('a,b,c\n1,"2,5",3\n4,5,6\n', False, False),  # a quote
        ("a,b,c\n1,2,3\n\n4,5,6\n", False, False),  # a blank line
        ("a,b,c\n1,2\n4,5,6,7\n", False, False),  # too few, too many values
        ("a,b,c\n1,NA,3\n4,5,6\n", False, False),  # a missing-value marker
        ("a,b,c\n1,2,3\r4,5,6\n", False, False),  # a lone carriage return
        ("a,b,c\n\\.\n4,5,6\n", False, False),  # COPY's end of data
        ('"a\nb",c,d\n1,2,3\n', True, True),  # a header over two lines
    ],
)
def test_the_staging_table_holds_what_rows_yields(tmp_path, pg_url, text, copied, stripped):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    staged, rows = staged_rows(pg_url, path)
    with reading.open_table(path) as table:
        width = len(table.headers)
        expected = [(line, *(cells + [""] * width)[:width]) for line, cells in table.rows()]
    assert rows == expected
    assert (staged.copied, staged.stripped, staged.rows) == (copied, stripped, len(expected))


def test_a_file_too_big_for_one_piece_is_sent_in_whole_lines(tmp_path, pg_url, monkeypatch):
    monkeypatch.setattr(staging, "CHUNK_CHARS", 7)  # shorter than most lines
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n" + b"".join(b"%d,long value %d\n" % (i, i) for i in range(50)))
    staged, rows = staged_rows(pg_url, path)
    assert staged.copied and staged.rows == 50
    assert rows[-1] == (51, "49", "long value 49")
    monkeypatch.setattr(staging, "CHUNK_CHARS", 1 << 20)
    path.write_bytes(path.read_bytes() + b"50,\xff\n")  # not UTF-8: rows() names the line
    with pytest.raises(InvalidInput, match=r"f\.csv:52: not valid utf-8"):
        staged_rows(pg_url, path, encoding="utf-8")
