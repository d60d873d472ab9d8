"""Reading import files: encodings, broken quotes, unterminated vCards, missing-value
markers, continuation and reading columns, contact-app layouts (issues 11 and 13).

Every fixture is generated here from a seed; nothing is read from outside tests/.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli import customers
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.errors import InvalidInput, UsageError
from crmcli.imports import reading
from crmcli.imports.customers import import_customers


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def db_digest(target: Path | str) -> str:
    """Every row of every table, hashed: 'unchanged' means this digest is the same (an
    SQLite file or the test's PostgreSQL database)."""
    db = open_db(parse(str(target), source="the test"))
    digest = hashlib.sha256()
    try:
        for table in sorted(db.tables()):  # search indexes' internals left out
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(tuple(row)).encode())
    finally:
        db.close()
    return digest.hexdigest()


# --- --encoding: text encodings only (issue 11 item 10) ------------------------------------

BYTES_CODECS = ["rot13", "base64", "hex", "uu", "zlib_codec", "bz2", "quopri"]


@pytest.mark.parametrize("codec", BYTES_CODECS)
def test_encoding_option_refuses_codecs_that_are_not_text_encodings(cli, tmp_path, codec):
    path = write(tmp_path, "x.csv", "name\nKim\n")
    result = cli("customers", "import", str(path), "--encoding", codec, ok=False)
    assert result.exit_code == 2, result.stderr
    assert f"--encoding {codec!r}: not a text encoding" in result.stderr
    assert "Traceback" not in result.stderr
    again = cli("purchases", "import", str(path), "--encoding", codec, ok=False)
    assert again.exit_code == 2 and "not a text encoding" in again.stderr


def test_bz2_bomb_is_never_inflated(db, tmp_path):
    import bz2

    path = tmp_path / "bomb.csv"
    path.write_bytes(bz2.compress(b"a" * 50_000_000))  # 50 MB of text in a few bytes
    with pytest.raises(UsageError, match="not a text encoding"):
        import_customers(db, path, encoding="bz2")


def test_unknown_encoding_is_a_usage_error_naming_the_option(cli, tmp_path):
    path = write(tmp_path, "x.csv", "name\nKim\n")
    result = cli("customers", "import", str(path), "--encoding", "klingon", ok=False)
    assert result.exit_code == 2
    assert "--encoding 'klingon': unknown encoding" in result.stderr


def test_text_encodings_are_still_accepted(db, tmp_path):
    path = write(tmp_path, "x.csv", "name\n김민준\n", "cp949")
    assert import_customers(db, path, encoding="CP949").counts.added == 1
    assert customers.get(db, 1)["name"] == "김민준"


# --- unclosed quotes (issue 11 item 2) ------------------------------------------------------


def customers_csv(rows: int, *, seed: int = 11) -> list[str]:
    """A header and `rows` customer lines, seeded: code, name, phone, e-mail, notes."""
    rng = random.Random(seed)
    given = ["Minjun", "Seoyeon", "Hana", "Jisoo", "Tom", "Anna", "Yuki", "Wei"]
    family = ["Kim", "Lee", "Park", "Choi", "Smith", "Sato", "Wang"]
    lines = ["code,name,phone,email,notes"]
    for n in range(rows):
        name = f"{rng.choice(given)} {rng.choice(family)}"
        lines.append(
            f"K{n:04d},{name},010-{rng.randrange(1000, 9999)}-{n:04d},"
            f"k{n}@example.com,likes {rng.choice(['tea', 'hats', 'shoes'])}"
        )
    return lines


def test_an_unclosed_quote_on_line_11_of_1000_rows_imports_nothing(cli, db_path, tmp_path):
    lines = customers_csv(1_000)
    lines[10] = lines[10].replace(",", ',"', 1)  # line 11: `K0009,"Name,…` never closed
    path = write(tmp_path, "shop.csv", "\n".join(lines) + "\n")
    cli("customers", "add", "--name", "Existing Person", "--phone", "010-0000-0001")
    before = db_digest(db_path)
    for extra in ([], ["--skip-invalid"]):
        result = cli("customers", "import", str(path), *extra, ok=False)
        assert result.exit_code == 1, result.stdout
        assert "shop.csv:11:" in result.stderr
        assert "unclosed quote on line 11" in result.stderr
        assert "nothing was imported" in result.stderr
        assert "Traceback" not in result.stderr
        assert db_digest(db_path) == before
    assert not (tmp_path / "shop.rejects.csv").exists()


@pytest.mark.parametrize("where", ["end of file", "a few rows"])
def test_an_unclosed_quote_in_a_small_file_is_found_too(db, tmp_path, where):
    lines = customers_csv(14)
    lines[11] = lines[11].replace(",likes", ',"likes', 1)  # line 12, the notes column
    if where == "a few rows":
        lines[14] = lines[14] + '"'  # a stray quote three rows on closes it
    path = write(tmp_path, "small.csv", "\n".join(lines) + "\n")
    with pytest.raises(InvalidInput, match="unclosed quote on line 12") as caught:
        import_customers(db, path, skip_invalid=True)
    assert caught.value.problems[0].line == 12
    assert customers.count(db) == 0


@pytest.mark.parametrize("newline", ["\n", ""], ids=["newline", "no-newline"])
@pytest.mark.parametrize("column", ["name", "notes"])
def test_an_unclosed_quote_on_the_last_line_imports_nothing(db, tmp_path, newline, column):
    lines = customers_csv(6)
    field = ",likes" if column == "notes" else ","
    lines[-1] = lines[-1].replace(field, field[0] + '"' + field[1:], 1)  # line 7, never closed
    path = write(tmp_path, "last.csv", "\n".join(lines) + newline)
    with pytest.raises(InvalidInput, match="unclosed quote on line 7") as caught:
        import_customers(db, path, skip_invalid=True)
    assert caught.value.problems[0].line == 7
    assert customers.count(db) == 0


def test_a_short_or_quoted_last_row_that_is_closed_still_imports(db, tmp_path):
    text = 'code,name,phone,email,notes\nA1,Kim,010-1234-5678\nA2,"Lee, Seoyeon",,,"tea"\n'
    result = import_customers(db, write(tmp_path, "ok.csv", text))
    assert result.counts.added == 2


def test_an_unclosed_quote_in_a_purchases_file_imports_nothing(cli, db_path, tmp_path):
    lines = ["customer,date,amount,item"] + [
        f"C{n % 7},2024-03-{n % 28 + 1:02d},{n}.50,item {n}" for n in range(300)
    ]
    lines[20] = lines[20].replace(",item", ',"item', 1)
    path = write(tmp_path, "orders.csv", "\n".join(lines) + "\n")
    before = db_digest(db_path) if not isinstance(db_path, Path) or db_path.exists() else None
    result = cli("purchases", "import", str(path), "--create-customers", ok=False)
    assert result.exit_code == 1
    assert "orders.csv:21:" in result.stderr and "unclosed quote on line 21" in result.stderr
    assert before is None or db_digest(db_path) == before


def test_real_multi_line_values_still_import(db, tmp_path):
    text = (
        "code,name,address,notes,email\n"
        'A1,Kim,"12 Main St\nApt 3\nSpringfield, IL 62704",plain,a1@example.com\n'
        'A2,Lee,"1-2-3 Shibuya\r\nTokyo","called twice, left a message,\nwill call back",a2@x.jp\n'
        'A3,Park,Seoul,"last line of the file\nstill quoted properly",a3@example.com\n'
    )
    path = write(tmp_path, "multi.csv", text)
    result = import_customers(db, path)
    assert result.counts.added == 3
    assert customers.get(db, customers.resolve(db, "A1"))["address"] == (
        "12 Main St\nApt 3\nSpringfield, IL 62704"
    )
    assert customers.get(db, customers.resolve(db, "A3"))["notes"].endswith("properly")


# --- vCards without END:VCARD (issue 11 item 3) ----------------------------------------------


def vcards(count: int, *, seed: int = 3) -> list[list[str]]:
    """`count` vCard 3.0 cards, each a list of lines, seeded."""
    rng = random.Random(seed)
    cards = []
    for n in range(count):
        cards.append(
            [
                "BEGIN:VCARD",
                "VERSION:3.0",
                f"FN:Person {n:02d} {rng.choice(['Kim', 'Sato', 'Smith'])}",
                f"TEL;TYPE=CELL:010-{rng.randrange(1000, 9999)}-{n:04d}",
                f"EMAIL:p{n}@example.com",
                "END:VCARD",
            ]
        )
    return cards


def vcf(tmp_path: Path, cards: list[list[str]], name: str = "phone.vcf") -> tuple[Path, list[int]]:
    """The file, and the line each card begins on."""
    lines: list[str] = []
    starts = []
    for card in cards:
        starts.append(len(lines) + 1)
        lines.extend(card)
    return write(tmp_path, name, "\r\n".join(lines) + "\r\n"), starts


def test_a_card_without_end_mid_file_is_reported_by_line(cli, db_path, tmp_path):
    cards = vcards(52)
    cards[20].remove("END:VCARD")
    path, starts = vcf(tmp_path, cards)
    cli("customers", "add", "--name", "Existing Person")
    before = db_digest(db_path)
    refused = cli("customers", "import", str(path), ok=False)
    assert refused.exit_code == 1
    assert f"phone.vcf:{starts[20]}: the card has no END:VCARD" in refused.stderr
    assert db_digest(db_path) == before
    result = cli("customers", "import", str(path), "--skip-invalid")
    assert "added 51" in result.stderr and "rejected 1" in result.stderr
    assert "Person 20" not in cli("customers", "list", "--format", "csv").stdout


def test_a_truncated_last_card_is_reported(db, tmp_path):
    cards = vcards(5)
    cards[-1] = cards[-1][:3]  # cut short after FN
    path, starts = vcf(tmp_path, cards)
    with pytest.raises(InvalidInput) as caught:
        import_customers(db, path)
    assert [(p.line, "cut short" in p.message) for p in caught.value.problems] == [
        (starts[-1], True)
    ]
    result = import_customers(db, path, skip_invalid=True)
    assert (result.counts.added, result.counts.rejected) == (4, 1)


def test_a_quoted_printable_soft_break_does_not_eat_the_end_of_the_card(db, tmp_path):
    cards = vcards(3)
    cards[1].insert(-1, "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=EA=B3=A0=EA=B0=9D=")
    path, _starts = vcf(tmp_path, cards)
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.rejected) == (3, 0)
    assert customers.get(db, 2)["notes"] == "고객"


def test_text_outside_any_card_is_reported(db, tmp_path):
    cards = vcards(3)
    cards[1].remove("BEGIN:VCARD")  # its lines are now outside any card
    path, starts = vcf(tmp_path, cards)
    with pytest.raises(InvalidInput) as caught:
        import_customers(db, path)
    assert [p.line for p in caught.value.problems] == [starts[1]]
    assert "missing BEGIN:VCARD" in caught.value.problems[0].message


# --- missing-value markers (issue 13 item 1) ---------------------------------------------------


def test_missing_value_markers_read_as_empty_in_every_column_and_are_counted(cli, tmp_path):
    path = write(
        tmp_path,
        "markers.csv",
        "code,name,phone,email,birthday,notes,company\n"
        "A1,Kim,N/A,NA,#N/A,null,-\n"
        "A2,Lee, n/a ,none,?,NULL,—\n"
        "A3,Na,010-1234-5678,a3@example.com,–,None,Acme\n",
    )
    result = cli("customers", "import", str(path))
    assert "added 3" in result.stderr and "rejected 0" in result.stderr
    assert "12 cells holding a missing-value marker read as empty" in result.stderr
    shown = cli("customers", "list", "--format", "json", "--fields", "code,name,email,notes")
    import json

    rows = {r["code"]: r for r in json.loads(shown.stdout)}
    assert rows["A1"]["email"] is None and rows["A1"]["notes"] is None
    assert rows["A3"]["name"] == "Na"  # a family name (나), never a marker in title case


def test_an_na_customer_column_is_no_customer_called_na(db, tmp_path):
    from crmcli.imports.purchases import import_purchases

    lines = ["InvoiceNo,CustomerID,InvoiceDate,Amount"]
    for n in range(40):
        lines.append(f"{536365 + n},{'NA' if n % 4 == 0 else f'C{n % 5}'},2010-12-01,{n}.25")
    path = write(tmp_path, "retail.csv", "\n".join(lines) + "\n")
    result = import_purchases(db, path, create_customers=True)
    assert result.markers == {"NA": 10}
    assert db.execute("SELECT count(*) FROM customers WHERE code = 'NA'").fetchone()[0] == 0
    assert result.counts.added == 40


# --- columns real files have (issue 13 item 3) --------------------------------------------------


def test_blank_headers_after_a_named_one_continue_it(db, tmp_path):
    # A Japanese list: 住所 followed by four blank headers (city, district, block, building).
    text = (
        "顧客番号,氏名,フリガナ,住所,,,,,電話番号\n"
        "J001,山田 太郎,ヤマダ タロウ,東京都,渋谷区,神南,1-2-3,,03-1234-5678\n"
        "J002,佐藤 花子,サトウ ハナコ,大阪府,大阪市,北区,梅田 2-4,ビル5F,06-1111-2222\n"
    )
    path = write(tmp_path, "jp.csv", text, "cp932")
    result = import_customers(db, path, encoding="cp932")
    assert result.unmapped == []  # nothing left as `column 5`
    yamada = customers.get(db, customers.resolve(db, "J001"))
    assert yamada["address"] == "東京都 渋谷区 神南 1-2-3"
    assert yamada["name_reading"] == "ヤマダ タロウ"
    assert yamada.extra == {}
    sato = customers.get(db, customers.resolve(db, "J002"))
    assert sato["address"] == "大阪府 大阪市 北区 梅田 2-4 ビル5F"


@pytest.mark.parametrize(
    "header",
    ["フリガナ", "ふりがな", "カナ", "読み", "氏名（カタカナ）", "reading", "Kana", "pinyin"],
)
def test_a_reading_column_is_name_reading_searchable_and_shown(cli, tmp_path, header):
    path = write(tmp_path, "r.csv", f"code,name,{header}\nR1,山田 太郎,ヤマダ タロウ\n")
    cli("customers", "import", str(path))
    found = cli("customers", "search", "ヤマダ", "--format", "csv").stdout
    assert "R1" in found
    shown = cli("customers", "show", "R1", "--format", "table").stdout
    assert "ヤマダ タロウ" in shown and "Reading" in shown
    listed = cli("customers", "list", "--fields", "code,name_reading", "--format", "csv").stdout
    assert "R1,ヤマダ タロウ" in listed


def test_google_phonetic_name_columns_join_family_first(db, tmp_path):
    path = write(
        tmp_path,
        "google.csv",
        "First Name,Last Name,Phonetic First Name,Phonetic Last Name\n太郎,山田,タロウ,ヤマダ\n",
    )
    import_customers(db, path)
    assert customers.get(db, 1)["name_reading"] == "ヤマダ タロウ"


def test_thunderbird_layout(db, tmp_path):
    text = (
        "First Name,Last Name,Display Name,Nickname,Primary Email,Secondary Email,"
        "Screen Name,Work Phone,Home Phone,Fax Number,Pager Number,Mobile Number,"
        "Home Address,Home Address 2,Home City,Home State,Home ZipCode,Home Country,"
        "Job Title,Department,Organization,Web Page 1,Birth Year,Birth Month,Birth Day,"
        "Custom 1,Notes\n"
        "Anna,Schmidt,Anna Schmidt,Ann,anna@example.de,anna.work@example.de,,"
        "+49 30 1234567,+49 30 7654321,,,+49 151 2345678,Hauptstr. 1,,Berlin,,10115,DE,"
        "Designer,Art,Studio A,,1984,3,14,,likes tea\n"
        "Ben,Ott,Ben Ott,,ben@example.de,,,,,,,+49 151 9999999,,,,,,,,,,,,7,9,,\n"
    )
    path = write(tmp_path, "thunderbird.csv", text)
    result = import_customers(db, path)
    assert (result.counts.added, result.counts.rejected) == (2, 0)
    anna = customers.get(db, 1)
    assert (anna["name"], anna["given_name"], anna["family_name"]) == (
        "Anna Schmidt", "Anna", "Schmidt"
    )  # fmt: skip
    assert anna["email"] == "anna@example.de"
    assert anna.extra["Secondary Email"] == "anna.work@example.de"
    assert [p.raw for p in anna.phones] == ["+49 30 1234567", "+49 30 7654321", "+49 151 2345678"]
    assert anna["birthday"] == "1984-03-14"
    assert (anna["postcode"], anna["company"], anna["occupation"]) == (
        "10115",
        "Studio A",
        "Designer",
    )
    assert anna["notes"] == "likes tea"
    ben = customers.get(db, 2)
    assert ben["birthday"] == "--07-09"  # a split birthday without a year
    assert not any("Birth" in k for k in anna.extra)


def test_roundcube_layout(db, tmp_path):
    text = (
        "First Name,Middle Name,Last Name,Display Name,Nickname,Email Home,Email Work,"
        "Email Other,Phone Home,Phone Work,Phone Mobile,Phone Other,Birthday,Notes\n"
        "Piotr,,Nowak,Piotr Nowak,,piotr@home.pl,piotr@work.pl,,+48 22 111 22 33,,"
        "+48 600 100 200,,1979-05-02,klient stały\n"
    )
    path = write(tmp_path, "roundcube.csv", text)
    import_customers(db, path)
    piotr = customers.get(db, 1)
    assert piotr["email"] == "piotr@home.pl" and piotr.extra["Email Work"] == "piotr@work.pl"
    assert [(p.raw, p.label) for p in piotr.phones] == [
        ("+48 22 111 22 33", "Home"),
        ("+48 600 100 200", "Mobile"),
    ]
    assert piotr["birthday"] == "1979-05-02" and piotr["notes"] == "klient stały"


@pytest.mark.parametrize(
    "header, row",
    [
        (
            "성(姓),이름(名),휴대폰,이메일,생일,메모,그룹",
            "김,민준,010-1234-5678,mj@example.kr,1990-03-14,단골,VIP",
        ),
        ("이름,전화번호,이메일,생일,메모", "김민준,010-1234-5678,mj@example.kr,1990-03-14,단골"),
    ],
    ids=["naver", "kakao"],
)
def test_korean_contact_exports(db, tmp_path, header, row):
    path = write(tmp_path, "contacts.csv", f"{header}\n{row}\n")
    result = import_customers(db, path)
    assert result.unmapped == []
    kim = customers.get(db, 1)
    assert kim["name"].replace(" ", "") == "김민준"
    assert [p.raw for p in kim.phones] == ["010-1234-5678"]
    assert (kim["email"], kim["birthday"], kim["notes"]) == ("mj@example.kr", "1990-03-14", "단골")


@pytest.mark.parametrize("header", ["Ship Date", "배송일", "発送日"])
def test_a_ship_date_column_is_the_delivery_date(db, tmp_path, header):
    from crmcli.imports.purchases import import_purchases

    path = write(
        tmp_path, "orders.csv", f"customer,date,amount,{header}\nC1,2024-03-01,10.00,2024-03-04\n"
    )
    result = import_purchases(db, path, create_customers=True)
    assert result.unmapped == []
    assert db.execute("SELECT delivery_date FROM purchases").fetchone()[0] == "2024-03-04"


def test_vcard4_tel_uri_keeps_the_number_and_its_extension(db, tmp_path):
    text = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\n"
        "TEL;VALUE=uri;TYPE=work:tel:+1-418-656-9254;ext=102\r\n"
        "TEL;VALUE=uri;TYPE=cell:tel:+1-418-262-6501\r\n"
        "X-PHONETIC-LAST-NAME:PERO\r\nX-PHONETIC-FIRST-NAME:SIMON\r\nEND:VCARD\r\n"
    )
    path = write(tmp_path, "v4.vcf", text)
    import_customers(db, path)
    simon = customers.get(db, 1)
    assert [p.raw for p in simon.phones] == ["+1-418-656-9254 ext. 102", "+1-418-262-6501"]
    assert simon.phones[0].e164 == "+14186569254"
    assert simon["name_reading"] == "PERO SIMON"


# --- tiny files and unreadable bytes (issue 13 item 6) -----------------------------------------

TINY = {
    "utf-8": "김민준", "utf-16": "山田 太郎", "cp949": "김민준", "cp932": "山田 太郎",
    "gb18030": "张伟", "big5": "陳大文", "cp1251": "Иван Петров", "cp1252": "José Müller",
}  # fmt: skip


@pytest.mark.parametrize("rows", [1, 2])
@pytest.mark.parametrize("encoding", list(TINY))
def test_tiny_files_are_read_right_or_refused_never_garbled(db, tmp_path, encoding, rows):
    names = [TINY[encoding], TINY[encoding] + "二" if encoding in ("gb18030",) else TINY[encoding]]
    text = "name,phone\n" + "".join(f"{names[n]},010-1234-000{n}\n" for n in range(rows))
    path = write(tmp_path, f"tiny-{encoding}.csv", text, encoding)
    try:
        result = import_customers(db, path)
    except InvalidInput as exc:
        assert "cannot tell the encoding of" in str(exc) and "give --encoding" in str(exc)
        return
    stored = [customers.get(db, i)["name"] for i in range(1, rows + 1)]
    assert stored == names[:rows], (result.encoding, stored)


def test_a_short_gb18030_or_korean_file_is_refused_naming_the_candidates(db, tmp_path):
    path = write(tmp_path, "two.csv", "name\n김민준\n이서연\n", "cp949")
    with pytest.raises(InvalidInput, match=r"cannot tell the encoding of two.csv \(cp949"):
        import_customers(db, path)
    assert import_customers(db, path, encoding="cp949").counts.added == 2


def test_random_bytes_are_refused(cli, tmp_path):
    rng = random.Random(13)
    for n in (12, 200, 5000):
        path = tmp_path / f"random{n}.csv"
        path.write_bytes(b"name\n" + bytes(rng.randrange(128, 256) for _ in range(n)))
        result = cli("customers", "import", str(path), ok=False)
        assert result.exit_code == 1 and "cannot tell the encoding" in result.stderr


# --- missing-value markers: one search per row finds every row that may hold one -----------

_MARKER_CELLS = st.one_of(
    st.sampled_from(sorted(reading.MISSING_MARKERS)).flatmap(
        lambda m: st.tuples(
            st.sampled_from(["", " ", "\t", "  ", "\u3000", "\xa0"]),
            st.lists(st.booleans(), min_size=len(m), max_size=len(m)),
            st.sampled_from(["", " ", "\t", "\u3000", "\xa0 "]),
        ).map(
            lambda t, m=m: (
                t[0] + "".join(c.upper() if up else c for c, up in zip(m, t[1], strict=True)) + t[2]
            )
        )
    ),
    st.sampled_from(["Na", "NA", "nA", "nan", "nil", "-1.5", "None1", "N/A.", "?x", "K1", ""]),
    st.text(alphabet="-Nna/#<>()?.lu e\t\u2014\x1f", max_size=6),
    st.text(max_size=8),
)


@given(st.lists(_MARKER_CELLS, min_size=1, max_size=8))
@settings(max_examples=400, deadline=None)
def test_the_row_search_misses_no_cell_a_marker_check_would_empty(cells):
    """The search is only a filter: a row it passes over has no cell the per-cell check
    (`is_missing_marker` on a cell whose first character may start a marker) would empty."""
    marked = [c for c in cells if c[:1] in reading._MARKER_FIRST and reading.is_missing_marker(c)]
    sep = reading._SEPARATOR
    found = reading._ROW_MAY_HOLD_MARKER.search(f"{sep}{sep.join(cells)}{sep}")
    if marked:
        assert found, cells


def test_markers_are_still_read_as_empty_and_counted(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "code,name,phone\nK1,N/A,010-1234-5678\nK2, null ,-\nK3,Na,None\nK4,Nam,#N/A\n",
        encoding="utf-8",
    )
    with reading.open_table(path) as table:
        rows = [cells for _line, cells in table.rows()]
        assert rows == [
            ["K1", "", "010-1234-5678"],
            ["K2", "", ""],
            ["K3", "Na", ""],
            ["K4", "Nam", ""],
        ]
        assert table.markers == {"N/A": 1, "null": 1, "-": 1, "None": 1, "#N/A": 1}
