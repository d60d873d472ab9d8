"""vCards in (2.1, 3.0, 4.0; QP, UTF-16, no-year birthdays, anniversaries, lunar) and out."""

from __future__ import annotations

import pytest

from crmcli import customers
from crmcli.imports.customers import import_customers
from crmcli.vcard import to_vcard
from tests.conftest import FIXTURES

CONTACTS = FIXTURES / "contacts"


def only(db):
    [row] = list(customers.rows(db))
    return customers.get(db, row["id"])


def test_outlook_21_birthday_anniversary_and_quoted_printable(db):
    result = import_customers(db, CONTACTS / "ezvcard-John_Doe_MS_OUTLOOK.vcf")
    assert result.counts.added == 1
    john = only(db)
    assert (john["given_name"], john["family_name"]) == ("John", "Doe")
    assert john["birthday"] == "1980-03-22"
    assert [(d.label, d.date) for d in john.dates] == [("anniversary", "2011-01-13")]
    assert [(p.raw, p.label) for p in john.phones] == [
        ("(905) 555-1234", "work"),
        ("(905) 666-1234", "home"),
    ]
    assert john["email"] == "john.doe@ibm.cm"
    assert john.extra["X-Ms-Manager"] == "Big Blue"


def test_gmail_30_apple_item_anniversary(db):
    import_customers(db, CONTACTS / "ezvcard-John_Doe_GMAIL.vcf")
    john = only(db)
    assert john["name"] == "Mr. John Richter, James Doe Sr."
    assert john["birthday"] == "1980-03-22"
    assert [(d.label, d.date) for d in john.dates] == [("anniversary", "1975-03-01")]
    assert john.extra["Spouse"] == "Jenny"
    assert john["notes"].endswith("Favotire Color: Blue")


def test_roundcube_gmail_card(db):
    import_customers(db, CONTACTS / "roundcube-gmail.vcf")
    c = only(db)
    assert c["birthday"] == "1975-12-12"
    assert set(c.tags) == {"My Contacts", "Test"}
    assert c["email"] == "home@aaa.pl"


CARD40 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:김민준\r\nN:김;민준;;;\r\nTEL;TYPE=cell:010-1234-5678\r\n"
    "BDAY:--0203\r\nANNIVERSARY:20120519\r\nX-ALTBDAY;CALSCALE=chinese:19850115\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=EC=9D=B4;=EC=84=9C=EC=97=B0\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=EC=9D=B4=EC=84=9C=EC=97=B0\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0A=\r\nsecond line\r\n"
    "X-ALTBDAY;CALSCALE=chinese:19900815\r\nEND:VCARD\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le"])
def test_40_no_year_lunar_and_21_qp_in_any_utf(db, tmp_path, encoding):
    path = tmp_path / "cards.vcf"
    path.write_bytes(CARD40.encode(encoding))
    result = import_customers(db, path)
    assert result.counts.added == 2
    kim, lee = (customers.get(db, r["id"]) for r in customers.rows(db))
    assert kim["birthday"] == "--02-03" and not kim["birthday_lunar"]
    assert [(d.label, d.date, d.lunar) for d in kim.dates] == [
        ("anniversary", "2012-05-19", False),
        ("lunar birthday", "1985-01-15", True),
    ]
    assert lee["name"] == "이서연"
    assert (lee["birthday"], lee["birthday_lunar"]) == ("1990-08-15", 1)
    assert lee["notes"] == "first line\nsecond line"


def test_export_then_import_round_trips(db, tmp_path):
    customers.add(
        db,
        code="K1",
        name="김민준",
        phones_raw=["010-1234-5678"],
        email="mj@example.kr",
        birthday="1985-01-15",
        birthday_lunar=True,
        anniversaries=[("wedding", "2012-05-19"), ("anniversary", "2015-09-01")],
        tags=["vip"],
        notes="likes, commas; and semicolons",
    )
    text = to_vcard(customers.get(db, 1))
    assert "X-ALTBDAY;CALSCALE=chinese:19850115" in text
    assert "X-ANNIVERSARY:2015-09-01" in text  # the unlabelled one only
    assert "X-ANNIVERSARY:2012-05-19" not in text
    assert "X-ABLABEL:wedding" in text
    path = tmp_path / "out.vcf"
    path.write_text(text, encoding="utf-8")
    from crmcli.db import open_db

    other = open_db(":memory:")
    import_customers(other, path)
    back = only(other)
    assert (back["code"], back["name"], back["email"]) == ("K1", "김민준", "mj@example.kr")
    assert (back["birthday"], back["birthday_lunar"]) == ("1985-01-15", 1)
    assert back["notes"] == "likes, commas; and semicolons"
    assert back.tags == ("vip",)
    assert [p.raw for p in back.phones] == ["010-1234-5678"]
    assert sorted((d.label, d.date) for d in back.dates) == [
        ("anniversary", "2015-09-01"),
        ("wedding", "2012-05-19"),
    ]
