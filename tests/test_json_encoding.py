"""One JSON encoding for every command: money a decimal string, dates ISO strings.

The rule is cli/json_encoding.py's; this runs every command that offers `--format json`
(found by walking the command tree, so a new one cannot be forgotten) on a shop with
fractional, negative and large amounts, and checks each value by its field.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer.main

from crmcli.cli import app
from crmcli.cli.json_encoding import to_json
from crmcli.money import Money, to_decimal

# Fields that hold money, in any command's JSON. A field that holds a fractional
# number and is not in NUMBER_FIELDS fails the test: a new field is classified here.
MONEY_FIELDS = frozenset(
    {
        "amount",
        "unit_price",
        "total",
        "spent",
        "spend",
        "revenue",
        "average",
        "compensation_amount",
        "compensation_total",
        "spend_before",
        "spend_after",
    }
)
# Exact decimals that are measures, not money: JSON numbers.
NUMBER_FIELDS = frozenset(
    {
        "share_pct",
        "share",
        "above_pct",
        "quantity",
        "interval_days",
        "ratio",
        "median_days_to_resolve",
        "p90_days_to_resolve",
    }
)
# A field named like money that holds a count, by its path (command.field…).
COUNTS = frozenset({"complaints report.total"})
# Fields that hold a day or a moment: ISO 8601 (a birthday without a year: --MM-DD).
DATE_FIELDS = re.compile(
    r"(^|_)(date|day|on|at|since|until|as_of|birthday|last|first|from|due|next|sale)$"
)
ISO = re.compile(r"--\d{2}-\d{2}$|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?$")
MONEY_TEXT = re.compile(r"-?\d+(\.\d+)?$")


def _commands_with_json() -> list[str]:
    """Every command (as 'group sub') whose --format offers json."""
    root = typer.main.get_command(app)
    found: list[str] = []

    def walk(command: Any, path: list[str], ctx: Any) -> None:
        options = [p for p in command.params if "--format" in getattr(p, "opts", ())]
        if options and "json" in getattr(options[0].type, "choices", ()):
            found.append(" ".join(path))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                walk(sub, [*path, name], type(ctx)(sub, parent=ctx))

    walk(root, [], root.make_context("crmcli", [], resilient_parsing=True))
    return found


AS_OF = "2026-11-30"
# How to run each command on the shop below (its arguments besides --format).
RUNS: dict[str, list[str]] = {
    "customers show": ["K1"],
    "customers list": [],
    "customers search": ["김"],
    "customers import": ["{customers_csv}", "--dry-run"],
    "customers export": [],
    "customers dupes": [],
    "customers at-risk": ["--as-of", AS_OF],
    "customers who-bought": ["--item", "coat"],
    "customers attitudes": ["--as-of", AS_OF],
    "customers early-adopters": ["--as-of", AS_OF],
    "customers relations": ["K1"],
    "purchases list": [],
    "purchases import": ["{purchases_csv}", "--dry-run"],
    "purchases export": [],
    "items list": [],
    "imports list": [],
    "due": ["--as-of", AS_OF, "--days", "400"],
    "greet": ["--as-of", AS_OF, "--days", "400"],
    "followups list": [],
    "contacts list": [],
    "templates list": [],
    "tiers classify": ["--as-of", AS_OF],
    "tiers runs": [],
    "tiers report": [],
    "tiers changes": [],
    "tiers history": ["K1"],
    "complaints list": ["--as-of", AS_OF],
    "complaints show": ["1", "--as-of", AS_OF],
    "complaints report": [],
    "visits list": [],
    "config list": [],
}


@pytest.fixture
def shop(cli, tmp_path):
    """Customers with purchases of fractional, negative and large amounts, and the rest."""
    people = [("K1", "김민준", "1985-01-15"), ("K2", "山田太郎", "1990-12-10"), ("K3", "Ani", "")]
    for code, name, birthday in people:
        args = [
            "customers",
            "add",
            "--name",
            name,
            "--code",
            code,
            "--phone",
            f"010-1234-{code[1]}000",
        ]
        cli(*args, *(["--birthday", birthday] if birthday else []))
    cli("customers", "relate", "K1", "K2", "--as", "spouse")
    buys = [
        ("K1", "957.5775", "2026-01-02", "Winter coat", "2"),
        ("K1", "-12.5", "2026-01-09", "Winter coat", "1"),
        ("K2", "999999999999.123456", "2026-03-01", "Coat rack", "1.5"),
        ("K3", "40.1", "2026-03-03", "Mug", "3"),
        ("K2", "0.1", "2026-04-01", "Winter coat", "1"),
    ]
    for code, amount, on, item, quantity in buys:
        cli("purchases", "add", code, "--amount", amount, "--on", on, "--item", item,
            "--quantity", quantity, "--category", "Coats")  # fmt: skip
    cli("tiers", "classify", "--as-of", "2026-04-30")
    cli("complaints", "open", "K1", "--summary", "seam split", "--on", "2026-11-02")
    for step in (
        ["--to", "apologized"],
        ["--to", "cause-found", "--cause", "product-quality", "--detail", "seam"],
        ["--to", "resolved", "--resolution", "fixed", "--compensation", "gift",
         "--amount", "15000.5"],
        ["--to", "followed-up", "--note", "fine"],
        ["--to", "closed", "--lesson", "check seams"],
    ):  # fmt: skip
        cli("complaints", "advance", "1", *step, "--on", "2026-11-03")
    cli("complaints", "open", "K2", "--summary", "late", "--on", "2026-11-20")
    cli("followups", "add", "K1", "--on", "2026-12-01", "--note", "call back")
    cli("contacts", "log", "K1", "--channel", "call", "--note", "said hello", "--on", "2026-11-01")
    cli("visits", "plan", "K2", "--every", "1m", "--goal", "show the new coats")
    customers_csv = tmp_path / "more.csv"
    customers_csv.write_text("name,phone,birthday\nLee,010-5555-0000,1970-05-05\n")
    cli("customers", "import", str(customers_csv))
    purchases_csv = tmp_path / "buys.csv"
    purchases_csv.write_text("customer,date,amount,item\nK3,2026-05-01,1234.5678,Mug\n")
    return cli, {"customers_csv": str(customers_csv), "purchases_csv": str(purchases_csv)}


def _check(value: Any, key: str, where: str) -> int:
    """Check one value (and what it holds) by its field; returns how many money values."""
    if isinstance(value, dict) and {"section", "key", "value"} <= value.keys():
        # A report in long form (section, key, value): the section says what the value is.
        kind = {"compensation": "amount", "time_to_resolve": "median_days_to_resolve"}
        return _check(value["value"], kind.get(value["section"], "value"), where)
    if isinstance(value, dict):
        return sum(_check(v, k, f"{where}.{k}") for k, v in value.items())
    if isinstance(value, list):
        return sum(_check(v, key, where) for v in value)
    assert not key.endswith("_micros"), f"{where}: money in micro-units leaked"
    if where in COUNTS:
        assert isinstance(value, int), f"{where}: a count {value!r}"
    elif key in MONEY_FIELDS and value is not None:
        assert isinstance(value, str) and MONEY_TEXT.match(value), f"{where}: money {value!r}"
        return 1
    if isinstance(value, float):
        assert key in NUMBER_FIELDS, f"{where}: {value!r} is neither money nor a known measure"
    if DATE_FIELDS.search(key) and not key.startswith("days") and value not in (None, ""):
        assert isinstance(value, str) and ISO.match(value), f"{where}: date {value!r}"
    return 0


def test_every_command_with_json_is_run_here():
    assert sorted(_commands_with_json()) == sorted(RUNS)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_money_is_a_decimal_string_and_dates_iso_in_every_command(shop, fmt):
    cli, paths = shop
    money = 0
    for command, args in RUNS.items():
        filled = [a.format(**paths) for a in args]
        out = cli(*command.split(), *filled, "--format", fmt).stdout
        documents = (
            [json.loads(out)]
            if fmt == "json"
            else [json.loads(line) for line in out.splitlines() if line.strip()]
        )
        money += _check(documents, "", command)
    assert money > 30  # the shop's amounts were seen, not skipped


def test_money_keeps_every_digit_and_other_numbers_stay_numbers(shop):
    cli, _paths = shop
    rows = json.loads(cli("purchases", "export", "K2", "-f", "json").stdout)
    assert [r["amount"] for r in rows] == ["0.1", "999999999999.123456"]
    assert [r["quantity"] for r in rows] == [1, 1.5]
    report = json.loads(cli("tiers", "report", "-f", "json").stdout)
    assert all(isinstance(r["share_pct"], float) for r in report)


def test_the_encoding_rules():
    class Stream:
        encoding = "utf-8"

    value = {
        "amount": to_decimal(-12_500_000),
        "big": Money("1E+3"),
        "pct": Decimal("93.17"),
        "on": date(2026, 1, 2),
        "name": "김\x1b]0;x",
        "n": [1, None, True],
    }
    assert to_json(value, stream=Stream()) == (
        '{"amount": "-12.5", "big": "1000", "pct": 93.17, "on": "2026-01-02",'
        ' "name": "김\\u001b]0;x", "n": [1, null, true]}'
    )
    assert json.loads(to_json(value, stream=Stream(), indent=2)) == json.loads(
        to_json(value, stream=Stream())
    )
    assert to_json({"a": [], "b": {}}, stream=Stream(), indent=2) == json.dumps(
        {"a": [], "b": {}}, indent=2
    )


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_exported_money_imports_back_exactly(shop, db_url, tmp_path, fmt):
    cli, _paths = shop
    exported = Path(tmp_path / f"buys.{fmt}")
    exported.write_text(cli("purchases", "export", "-f", fmt).stdout, encoding="utf-8")
    other = db_url  # a second database on the same engine
    cli("--db", other, "purchases", "import", str(exported), "--create-customers")
    fields = "date,amount,quantity,item"

    def lines(*db: str) -> list[str]:
        return sorted(
            cli(*db, "purchases", "export", "-f", "csv", "--fields", fields).stdout.splitlines()
        )

    assert lines("--db", other) == lines()


def test_a_table_formats_money_as_money_and_other_decimals_as_they_are(shop):
    cli, _paths = shop
    out = cli("purchases", "export", "K2", "-f", "table", "--fields", "date,amount,quantity").stdout
    lines = [line.split() for line in out.splitlines() if "2026-" in line]
    cells = [[c for c in line if c not in "│|"] for line in lines]
    # The money's currency places (0.10, grouped), a quantity's own digits (1.5, not 1.50).
    assert sorted(cells) == [
        ["2026-03-01", "999,999,999,999.123456", "1.5"],
        ["2026-04-01", "0.10", "1"],
    ]
