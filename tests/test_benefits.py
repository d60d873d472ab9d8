"""Tier benefits (issue 18 item 4): the setting, the page, the report, the offer list, {benefit}."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from crmcli import benefits, settings
from crmcli.errors import InvalidValue


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_structured_and_free_parts_in_the_order_typed():
    b = benefits.parse("discount=10%; gift=a mug at New Year; terms=30 days; free alterations")
    assert b is not None
    assert b.discount_pct == Decimal("10")
    assert (b.gift, b.terms, b.note) == ("a mug at New Year", "30 days", "free alterations")
    assert (
        b.text == "10% discount; gift: a mug at New Year; payment terms: 30 days; free alterations"
    )
    assert benefits.parse("Discount = 7.5").discount_pct == Decimal("7.5")  # type: ignore[union-attr]
    assert benefits.parse("free coffee").text == "free coffee"  # type: ignore[union-attr]
    assert benefits.parse("") is None and benefits.parse(" ; ") is None


@pytest.mark.parametrize(
    "value, said",
    [
        ("dicount=10", "unknown part dicount="),
        ("discount=110%", "percentage from 0 to 100"),
        ("discount=ten", "percentage from 0 to 100"),
        ("discount=5; discount=10", "twice"),
        ("gift=", "needs a value"),
        ("x" * 201, "at most 200"),
    ],
)
def test_a_wrong_benefit_is_refused_at_config_set(db, value, said):
    with pytest.raises(InvalidValue, match=said):
        settings.set_value(db, "tiers.benefits.A", value)
    assert settings.get(db, "tiers.benefits.A") == ""


@pytest.fixture
def offers(cli):
    cli(
        "customers",
        "add",
        "--name",
        "Kim Minjun",
        "--code",
        "J001",
        "--phone",
        "010-1234-5678",
        "--birthday",
        "1990-03-15",
    )
    cli("customers", "add", "--name", "Lee Ana", "--code", "J002", "--email", "ana@example.org")
    cli(
        "purchases", "add", "J001", "--amount", "120000", "--on", "2026-10-02", "--item", "Drip set"
    )
    cli(
        "purchases", "add", "J002", "--amount", "1000", "--on", "2026-10-03", "--item", "Drip paper"
    )
    cli("tiers", "classify", "--as-of", "2026-11-01")
    return cli


def test_no_benefit_no_column(offers):
    rows = _csv(offers("customers", "who-bought", "--item", "drip").stdout)
    assert "benefit" not in rows[0]
    assert "benefit" not in _csv(offers("tiers", "report").stdout)[0]


def test_benefit_on_page_report_offer_list_and_greeting(offers):
    offers("config", "set", "tiers.benefits.A", "discount=10%; gift=a mug")
    offers("config", "set", "tiers.benefits.C", "free coffee")
    report = {r["tier"]: r["benefit"] for r in _csv(offers("tiers", "report").stdout)}
    assert report == {"A": "10% discount; gift: a mug", "B": "", "C": "free coffee"}

    rows = _csv(offers("customers", "who-bought", "--item", "drip").stdout)
    assert [(r["code"], r["benefit"]) for r in rows] == [
        ("J001", "10% discount; gift: a mug"),
        ("J002", "free coffee"),
    ]
    listed = json.loads(
        offers(
            "customers",
            "who-bought",
            "--item",
            "drip",
            "--format",
            "json",
            "--fields",
            "code,discount_pct",
        ).stdout
    )
    assert listed == [{"code": "J001", "discount_pct": 10}, {"code": "J002", "discount_pct": None}]

    page = json.loads(offers("customers", "show", "J001", "--format", "json").stdout)
    assert page["tier"]["benefit"]["text"] == "10% discount; gift: a mug"
    assert page["tier"]["benefit"]["gift"] == "a mug"
    shown = offers("customers", "show", "J001", "--format", "table").stdout
    assert "Benefit: 10% discount; gift: a mug" in shown

    offers("templates", "set", "vip", "--text", "Happy birthday {name}! Yours: {benefit}.")
    greeted = _csv(
        offers(
            "greet", "--as-of", "2026-03-14", "--template", "vip", "--fields", "code,message"
        ).stdout
    )
    assert greeted == [
        {"code": "J001", "message": "Happy birthday Kim Minjun! Yours: 10% discount; gift: a mug."}
    ]


def test_benefit_follows_a_tier_set_by_hand(offers):
    offers("config", "set", "tiers.benefits.B", "terms=60 days")
    offers("customers", "set-tier", "J002", "B", "--reason", "office orders")
    page = json.loads(offers("customers", "show", "J002", "--format", "json").stdout)
    assert page["tier"]["benefit"]["text"] == "payment terms: 60 days"


def test_config_set_names_the_bad_part(cli):
    result = cli("config", "set", "tiers.benefits.B", "gfit=a mug", ok=False)
    assert result.exit_code == 1
    assert "unknown part gfit=" in result.stderr and "Traceback" not in result.stderr
