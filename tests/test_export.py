"""customers/purchases export: every format, exact amounts, Excel-safe cells, round trips."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli.export import excel_safe
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+82 10-1234", "'+82 10-1234"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.50", "-12.50"),
        ("김민준", "김민준"),
        (5, 5),
        (None, None),
    ],
)
def test_excel_safe(value, expected):
    assert excel_safe(value) == expected


def test_customers_export_excel_has_a_bom_and_defused_cells(cli):
    cli("customers", "add", "--name", '=HYPERLINK("x")', "--phone", "+82 10-1234-5678")
    out = cli("customers", "export", "--excel").stdout
    assert out.startswith("\ufeff")
    row = next(csv.DictReader(io.StringIO(out[1:])))
    assert row["name"] == '\'=HYPERLINK("x")'
    assert row["phone"] == "'+82 10-1234-5678"


def test_customers_export_csv_reimports_unchanged(cli, tmp_path):
    cli("customers", "import", str(FIXTURES / "customers-kr-cp949.csv"))
    cli("customers", "add", "--name", "김민준", "--code", "K1",
        "--anniversary", "wedding=2012-05-19", "--birthday", "1985-01-15", "--lunar-birthday",
        "--tag", "vip", "--tag", "단골")  # fmt: skip
    exported = tmp_path / "all.csv"
    exported.write_text(cli("customers", "export", "--format", "csv").stdout, encoding="utf-8")
    again = cli("customers", "import", str(exported), "--format", "json")
    [summary] = json.loads(again.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1469)


def test_purchases_export_keeps_four_decimals(cli):
    cli("purchases", "import", str(FIXTURES / "superstore-us.csv"), "--create-customers")
    out = cli("purchases", "export", "--format", "jsonl").stdout.splitlines()
    assert len(out) == 9994
    first = next(json.loads(line) for line in out if json.loads(line)["line_id"] == "4")
    assert first["amount"] == "957.5775"  # money: exact decimal text (cli/json_encoding.py)
    assert '"amount": "957.5775"' in next(line for line in out if '"line_id": "4"' in line)
    excel = cli("purchases", "export", "--excel", "--fields", "line_id,amount").stdout
    assert excel.startswith("\ufeff") and "\n4,957.5775\n" in excel


def test_vcard_export_of_all_customers(cli):
    cli("customers", "import", str(FIXTURES / "contacts" / "ezvcard-John_Doe_MS_OUTLOOK.vcf"))
    out = cli("customers", "export", "--vcard").stdout
    assert out.count("BEGIN:VCARD") == 1
    assert "BDAY:1980-03-22" in out and "X-ANNIVERSARY:2011-01-13" in out


# --- the core: undoing the defusing, whole records, exact purchase rows --------------------


@given(st.text(max_size=30))
def test_excel_unsafe_undoes_excel_safe_exactly(text):
    from crmcli.export import excel_unsafe

    assert excel_unsafe(excel_safe(text)) == text


def test_excel_unsafe_leaves_an_apostrophe_that_crmcli_did_not_add():
    from crmcli.export import excel_row, excel_unsafe

    assert excel_unsafe("'tis the season") == "'tis the season"
    assert excel_unsafe("'-12.50") == "'-12.50"  # a number was never defused
    assert excel_row({"name": "=HYPERLINK()", "spent": -5}) == {
        "name": "'=HYPERLINK()",
        "spent": -5,
    }


def test_purchase_rows_carry_exact_decimals(db):
    from datetime import date
    from decimal import Decimal

    from crmcli import customers, export, purchases

    cid = customers.add(db, name="Kim")
    purchases.add(db, customer_id=cid, amount_micros=957_577_500, on=date(2026, 1, 1),
                  quantity="2.5", unit_price_micros=383_031_000)  # fmt: skip
    purchases.add(db, customer_id=cid, amount_micros=-1, on=date(2026, 1, 2))
    rows = list(export.purchase_rows(db))
    assert [(r["amount"], r["unit_price"], r["quantity"]) for r in rows] == [
        (Decimal("-0.000001"), None, None),
        (Decimal("957.5775"), Decimal("383.031"), Decimal("2.5")),
    ]
    [later] = list(export.purchase_rows(db, since=date(2026, 1, 2)))
    assert later["amount_micros"] == -1


def test_customer_records_carry_what_a_vcard_lacks(db):
    from crmcli import customer_fields, customers, export

    customers.add(db, name="김민준", code="K1", tags=["vip"], owner="지수", notes="커피")
    customers.add(db, name="Other", tags=["walk-in"])
    [(record, extra)] = list(export.customer_records(db, tag="vip"))
    assert record["name"] == "김민준"
    assert record["code"] == "K1" and extra["owner"] == "지수"
    assert not set(extra) & customer_fields.VCARD_NATIVE  # only what vCard has no place for
