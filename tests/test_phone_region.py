"""Phones in the file's own country (issue 13 item 4): --region, the file's evidence, a
country column, and re-reading stored numbers when `phone.region` changes."""

from __future__ import annotations

import json

import pytest

from crmcli import customers, settings
from crmcli.imports import evidence
from crmcli.imports.customers import import_customers


def _phones(cli, *args: str) -> dict[str, tuple[str, str]]:
    rows = json.loads(
        cli(*args, "customers", "list", "--fields", "name,phone,phone_e164", "-f", "json").stdout
    )
    return {r["name"]: (r["phone"], r["phone_e164"]) for r in rows}


def test_a_japanese_cp932_list_is_read_as_japanese(cli, tmp_path):
    path = tmp_path / "顧客.csv"
    path.write_bytes("氏名,電話番号,住所\n山田 太郎,0464-09-5392,神奈川県\n".encode("cp932"))
    result = cli("customers", "import", str(path))
    assert "read as JP (the file: cp932, Japanese headers)" in result.stderr
    assert _phones(cli) == {"山田 太郎": ("0464-09-5392", "+81464095392")}  # raw kept
    found = cli("customers", "search", "+81464095392", "--fields", "name").stdout
    assert "山田 太郎" in found


@pytest.mark.parametrize(
    ("headers", "encoding", "region"),
    [
        ("氏名,電話番号", "cp932", "JP"),
        ("name,phone", "cp932", "JP"),  # the code page alone
        ("이름,전화번호", "utf-8", "KR"),
        ("name,phone", "cp949", "KR"),
        ("姓名,电话", "utf-8", "CN"),
        ("name,phone", "gb18030", "CN"),
        ("姓名,電話號碼", "utf-8", "TW"),
        ("name,phone", "big5", "TW"),
        ("name,phone", "utf-8", None),  # nothing said: the setting decides
        ("氏名,電話番号", "cp949", None),  # Japanese headers in a Korean code page: no guess
    ],
)
def test_file_evidence(headers, encoding, region):
    found = evidence.file_evidence(headers=headers.split(","), encoding=encoding)
    assert found.region == region
    assert found.language == {"JP": "ja", "KR": "ko", "CN": "zh", "TW": "zh"}.get(region or "")


def test_region_option_wins_over_the_file(cli, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("氏名,電話番号\n田中,02-555-0100\n".encode("cp932"))
    result = cli("customers", "import", str(path), "--region", "kr")
    assert "read as KR (--region)" in result.stderr
    assert _phones(cli) == {"田中": ("02-555-0100", "+8225550100")}


def test_a_bad_region_is_a_usage_error(cli, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("name,phone\nAni,091 123456\n", encoding="utf-8")
    result = cli("customers", "import", str(path), "--region", "Mars", ok=False)
    assert result.exit_code == 2 and "Mars" in result.stderr and "Traceback" not in result.stderr


def test_each_row_in_its_own_country(cli, tmp_path):
    path = tmp_path / "world.csv"
    path.write_text(
        "name,phone,Country/Region\n"
        "Ani,091 123456,Armenia\nBob,(212) 555-0100,USA\n"
        "Taro,03-1234-5678,日本\nKim,010-1234-5678,\n",
        encoding="utf-8",
    )
    result = cli("customers", "import", str(path))
    assert "3 rows by their own country column" in result.stderr
    assert _phones(cli) == {
        "Ani": ("091 123456", "+37491123456"),
        "Bob": ("(212) 555-0100", "+12125550100"),
        "Taro": ("03-1234-5678", "+81312345678"),
        "Kim": ("010-1234-5678", "+821012345678"),  # no country: the setting (KR)
    }


def test_a_vcard_address_country_reads_its_numbers(db, tmp_path):
    path = tmp_path / "c.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Taro Yamada\r\nTEL;TYPE=CELL:090-1234-5678\r\n"
        "ADR;TYPE=HOME:;;1-2-3 Ginza;Chuo-ku;Tokyo;104-0061;Japan\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    import_customers(db, path)
    [phone] = customers.get(db, 1).phones
    assert (phone.raw, phone.e164) == ("090-1234-5678", "+819012345678")


def test_changing_phone_region_rereads_numbers_without_a_country_code(cli, tmp_path):
    cli("customers", "add", "--name", "Tanaka", "--phone", "03-1234-5678")
    cli("customers", "add", "--name", "Ani", "--phone", "+374 91 123456")
    path = tmp_path / "kr.csv"
    path.write_text("이름,전화번호\n김민준,02-555-0100\n", encoding="utf-8")
    cli("customers", "import", str(path), "--region", "KR")  # read as KR on purpose: kept
    assert not cli("customers", "search", "+81312345678").stdout.count("Tanaka")
    result = cli("config", "set", "phone.region", "JP")
    assert "re-normalised 1 phone number" in result.stderr
    assert "Tanaka" in cli("customers", "search", "+81312345678").stdout
    assert _phones(cli) == {
        "Tanaka": ("03-1234-5678", "+81312345678"),
        "Ani": ("+374 91 123456", "+37491123456"),  # its own country code: untouched
        "김민준": ("02-555-0100", "+8225550100"),  # imported with --region KR: keeps it
    }
    again = cli("config", "set", "phone.region", "JP")
    assert "re-normalised" not in again.stderr  # no change, nothing to do
    back = cli("config", "unset", "phone.region")
    assert "re-normalised 1 phone number" in back.stderr


def test_renormalising_is_one_transaction(db, monkeypatch):
    """A failure half-way leaves the setting and every number as they were."""
    customers.add(db, name="A", phones_raw=["03-1234-5678"])
    customers.add(db, name="B", phones_raw=["06-1234-5678"])
    before = db.execute("SELECT e164 FROM customer_phones ORDER BY id").fetchall()
    real = customers.phones.normalise
    calls = []

    def failing(raw: str, region: str):
        calls.append(raw)
        if region == "JP" and raw.startswith("06"):
            raise RuntimeError("disk gone")
        return real(raw, region)

    monkeypatch.setattr(customers.phones, "normalise", failing)
    with pytest.raises(RuntimeError):
        customers.set_setting(db, "phone.region", "JP")
    assert settings.get(db, "phone.region") == "KR"
    assert db.execute("SELECT e164 FROM customer_phones ORDER BY id").fetchall() == before


def test_purchases_import_creates_customers_with_phones_of_the_file(cli, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "注文番号,顧客番号,氏名,電話番号,注文日,金額\n"
        "A1,C1,山田 太郎,03-1234-5678,2026-01-05,1000\n",
        encoding="utf-8",
    )
    result = cli("purchases", "import", str(path), "--create-customers")
    assert "read as JP (the file: Japanese headers)" in result.stderr
    assert _phones(cli) == {"山田 太郎": ("03-1234-5678", "+81312345678")}
    other = tmp_path / "orders2.csv"
    other.write_text("order,customer,phone,date,amount\nB1,C2,02-555-0100,2026-01-05,5\n")
    cli("purchases", "import", str(other), "--create-customers", "--region", "US")
    rows = json.loads(cli("customers", "list", "--fields", "code,phone_e164", "-f", "json").stdout)
    assert {r["code"]: r["phone_e164"] for r in rows}["C2"] != "+8225550100"
