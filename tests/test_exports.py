"""customers/purchases export: every format, exact amounts, Excel-safe cells, round trips."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crmcli.exports import excel_safe
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
