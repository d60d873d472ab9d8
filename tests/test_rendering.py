"""Every listing and page at 60, 80, 100 and 160 columns (issue 14 item 3).

On a shop with long names in five scripts: every line fits the width, no column is
zero wide, identifying values (names, codes, ids) and whole numbers are shown
whole, and a column left out is named in the footer. The same commands accept
`--fields`, and every field they print is named in their `--help`.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import seeded_shop
from rich.cells import cell_len
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.cli.screen import printable

WIDTHS = (60, 80, 100, 160)
AS_OF = seeded_shop.AS_OF

# (command, identifying fields whose values must appear whole); pages have none listed.
LISTINGS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("customers", "list"), ("id", "code", "name")),
    (("customers", "search", "kr"), ("id", "code", "name")),
    (("customers", "at-risk", "--as-of", AS_OF, "--k", "0.1"), ("code", "name")),
    (("customers", "who-bought", "--item", "e"), ("code", "name")),
    (("customers", "attitudes", "--as-of", AS_OF), ("code", "name")),
    (("customers", "dupes", "--threshold", "30"), ()),
    (("customers", "export", "--format", "table"), ("id", "code", "name")),
    (("purchases", "list"), ()),
    (("purchases", "export", "--format", "table"), ()),
    (("imports", "list"), ("id",)),
    (("due", "--as-of", AS_OF, "--days", "30"), ("ref", "name")),
    (("greet", "--as-of", AS_OF, "--days", "30"), ("ref",)),
    (("followups", "list"), ("id", "code")),
    (("contacts", "list"), ("id", "code")),
    (("templates", "list"), ("name",)),
    (("tiers", "runs"), ("run",)),
    (("tiers", "changes"), ("code", "name")),
    (("tiers", "history", "KR-2024-0003"), ("run",)),
    (("complaints", "list"), ("id", "customer")),
    (("complaints", "list", "--overdue", "--as-of", AS_OF), ("id", "customer")),
    (("config", "list"), ("key",)),
]
# Identifying values that may wrap in their column (never cut): a listing keeps what its
# reader needs (`due` its reasons, readable: cli/table.py, READABLE), and a long name
# wraps at a space for them.
WRAPS = {
    *(("due", "name"), ("greet", "name"), ("customers", "name")),
    *(("complaints", "customer_name"), ("purchases", "customer_name"), ("followups", "customer")),
}
PAGES: list[tuple[str, ...]] = [
    ("customers", "show", "KR-2024-0001"),
    ("customers", "show", "AM-2024-0001"),
    ("complaints", "show", "1", "--as-of", AS_OF),
    ("complaints", "report"),
    ("tiers", "report"),
    ("tiers", "classify", "--as-of", AS_OF),
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_shop.build_db(tmp_path_factory.mktemp("shop"))


def run(shop: Path, *args: str, columns: int, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", str(columns))
    result = CliRunner().invoke(app, ["--db", str(shop), *args])
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result.stdout


def _check_lines(text: str, width: int, what: tuple[str, ...], data: str = "") -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, (what, width, line)
        assert "┃┃" not in line and "││" not in line, (what, width, line)  # no empty column
        if "…" not in data:
            assert "…" not in line, (what, width, line)  # nothing is cut: it wraps


def _hidden(text: str) -> set[str]:
    m = re.search(r"columns? hidden \(([^)]*)\)", text.replace("\n", " "))
    return set(m[1].split(", ")) if m else set()


@pytest.mark.parametrize("command", LISTINGS, ids=lambda c: " ".join(c[0][:2]))
def test_listing_fits_every_width(shop, command, monkeypatch):
    args, identifying = command
    table_args = [*args] if "--format" in args else [*args, "--format", "table"]
    piped = run(shop, *[a for a in args if a not in ("--format", "table")], "--format", "csv",
                columns=100, monkeypatch=monkeypatch)  # fmt: skip
    records = list(csv.DictReader(io.StringIO(piped)))
    assert records, f"{args}: the test shop should give rows"
    for width in WIDTHS:
        text = run(shop, *table_args, columns=width, monkeypatch=monkeypatch)
        _check_lines(text, width, args, piped)
        hidden = _hidden(text)
        lines = text.splitlines()
        # A column may hold another's value under its own (`due`'s phone under the name):
        # its header is then on the lines down to the rule.
        header = " ".join(lines[: next(i for i, line in enumerate(lines) if "━" in line)])
        for field in identifying:
            assert field not in hidden, (args, width, field)
            assert field in header, (args, width, field, header)
        for record in records:
            for field, value in record.items():
                if not value or field in hidden:
                    continue
                whole = field in identifying or re.fullmatch(r"-?\d+", value)
                if whole and field in header:
                    forms = {printable(value)}
                    if re.fullmatch(r"-?\d+", value):
                        forms.add(f"{int(value):,}")  # money is shown grouped
                    if (args[0], field) in WRAPS:  # every letter, in its column
                        joined = ["".join(c.split()) for c in _cells(lines, field)]
                        letters = "".join(value.split())
                        assert any(letters in c for c in joined), (args, width, field, value)
                        continue
                    assert any(f in line for f in forms for line in lines), (
                        args, width, field, value,
                    )  # fmt: skip


def _cells(lines: list[str], field: str) -> list[str]:
    """Each record's value in the drawn table's column `field`, its lines joined."""
    rule = next(i for i, line in enumerate(lines) if "━" in line)
    header = [h.strip() for h in lines[0].split("┃")]
    column = header.index(field)
    records: list[list[str]] = []
    for line in lines[rule + 1 :]:
        parts = line.split("│")
        if len(parts) <= column:
            continue  # the footer
        if parts[0].strip() or not records:  # a record's first line: its first cell is set
            records.append([])
        records[-1].append(parts[column].strip())
    return [" ".join(r) for r in records]


@pytest.mark.parametrize("args", PAGES, ids=lambda a: " ".join(a[:3]))
def test_page_fits_every_width(shop, args, monkeypatch):
    for width in WIDTHS:
        text = run(shop, *args, "--format", "table", columns=width, monkeypatch=monkeypatch)
        assert text.strip()
        _check_lines(text, width, args)
    if args[:2] == ("customers", "show"):
        assert "Sky Coffee, Ltd." in text or args[2] != "KR-2024-0001"


def test_complaint_timeline_reads_at_80_columns(shop, monkeypatch):
    text = run(shop, "complaints", "show", "1", "-f", "table", columns=80, monkeypatch=monkeypatch)
    for said in ("apologised", "cracked gasket", "replaced the gasket", "지수"):
        assert said in text.replace("\n    ", " "), said


# --- --fields everywhere, and every field printed is named in --help -------------------

PRINTING = [args for args, _ in LISTINGS] + PAGES


@pytest.mark.parametrize("args", PRINTING, ids=lambda a: " ".join(a[:3]))
def test_fields_is_accepted_and_every_printed_field_is_in_help(shop, args, monkeypatch):
    plain = [a for a in args if a not in ("--format", "table")]
    piped = run(shop, *plain, "--format", "csv", columns=100, monkeypatch=monkeypatch)
    header = next(csv.reader(io.StringIO(piped)))
    assert header
    path = plain[:1] if plain[0] in ("due", "greet") else plain[:2]
    help_text = run(shop, *path, "--help", columns=400, monkeypatch=monkeypatch)
    help_flat = " ".join(help_text.replace("│", " ").split())
    assert "--fields" in help_flat, plain
    for field in header:
        assert re.search(rf"(?<![\w.]){re.escape(field)}(?![\w])", help_flat), (plain, field)
    first = header[0]
    picked = run(shop, *plain, "--format", "csv", "--fields", first, columns=100,
                 monkeypatch=monkeypatch)  # fmt: skip
    assert next(csv.reader(io.StringIO(picked))) == [first], plain
