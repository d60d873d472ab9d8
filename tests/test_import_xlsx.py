"""Spreadsheets (.xlsx) import like CSV files, through python-calamine."""

from __future__ import annotations

import zipfile
from xml.sax.saxutils import escape

import pytest

from crmcli import customers
from crmcli.errors import InvalidInput
from crmcli.imports.customers import import_customers

pytest.importorskip("python_calamine")


def _cell(ref: str, value: object) -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def write_xlsx(path, rows):
    """The smallest valid workbook: one sheet of inline strings and numbers."""
    sheet_rows = "".join(
        f'<row r="{r}">'
        + "".join(_cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row) if v is not None)
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="고객" sheetId="1"'
            ' r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet"'
            ' Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{main}"><sheetData>{sheet_rows}</sheetData></worksheet>',
        )


def test_xlsx_with_korean_headers(db, tmp_path):
    path = tmp_path / "고객.xlsx"
    write_xlsx(
        path,
        [
            ["고객번호", "이름", "휴대폰", "생년월일", "포인트"],
            ["00042", "김민준", "010-1234-5678", "1985-03-14", 1200],
            ["00043", "이서연", None, "1990.08.15", 30.5],
        ],
    )
    result = import_customers(db, path)
    assert (result.encoding, result.counts.added) == ("xlsx", 2)
    kim, lee = (customers.get(db, r["id"]) for r in customers.rows(db))
    assert (kim["code"], kim["name"], kim["birthday"]) == ("00042", "김민준", "1985-03-14")
    assert kim.extra == {"포인트": "1200"}
    assert (lee["birthday"], lee.extra) == ("1990-08-15", {"포인트": "30.5"})


def test_a_file_that_is_not_a_spreadsheet(db, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("not a zip")
    with pytest.raises(InvalidInput, match="cannot be read"):
        import_customers(db, path)
