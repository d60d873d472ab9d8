"""The tiers commands and the customer-level ones (set-tier, at-risk, who-bought, attitude)."""

from __future__ import annotations

import csv
import io
import json

import pytest


def rows(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def shop(cli):
    """Five customers; K1 buys a lot and regularly, K5 nothing."""
    for i in range(1, 6):
        cli(
            "customers",
            "add",
            "--name",
            f"Customer {i}",
            "--code",
            f"K{i}",
            "--email",
            f"k{i}@example.com",
        )
    for day in ("2026-01-05", "2026-02-05", "2026-03-05", "2026-04-05"):
        cli(
            "purchases",
            "add",
            "K1",
            "--amount",
            "500",
            "--on",
            day,
            "--item",
            "Espresso machine",
            "--category",
            "Equipment",
        )
    cli(
        "purchases",
        "add",
        "K2",
        "--amount",
        "300",
        "--on",
        "2026-03-01",
        "--item",
        "Grinder",
        "--category",
        "Equipment",
    )
    cli(
        "purchases",
        "add",
        "K2",
        "--amount",
        "300",
        "--on",
        "2026-03-11",
        "--item",
        "Beans 1kg",
        "--category",
        "Coffee",
    )
    cli(
        "purchases",
        "add",
        "K3",
        "--amount",
        "150",
        "--on",
        "2026-03-02",
        "--item",
        "Beans 1kg",
        "--category",
        "Coffee",
    )
    cli("purchases", "add", "K4", "--amount", "40.5", "--on", "2026-03-03", "--item", "Mug")
    return cli


def test_classify_prints_the_summary_and_report_matches(shop):
    out = shop("tiers", "classify", "--as-of", "2026-04-30")
    assert "run #1: pareto (a=80, b=95) over 12m as of 2026-04-30, 5 customers" in out.stderr
    got = {r["tier"]: r for r in rows(out)}
    assert (got["A"]["customers"], got["A"]["revenue"]) == ("2", "2600")
    assert got["B"]["customers"] == "1" and got["C"]["customers"] == "2"
    assert got["C"]["revenue"] == "40.5"
    assert rows(shop("tiers", "report")) == rows(out)
    data = json.loads(shop("tiers", "report", "--format", "json").stdout)
    assert data[0]["share_pct"] == 93.17  # 2600 of 2790.5, as an exact JSON number


def test_report_on_a_terminal_draws_the_pareto_chart(shop):
    shop("tiers", "classify", "--as-of", "2026-04-30")
    out = shop("tiers", "report", "--format", "table", "--width", "20").stdout
    assert "share of customers, biggest spenders first" in out
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("100% ┤"))
    # 20 columns, one per 5 % of customers. The top customer (first 4 columns) holds
    # 71.7 %, the top two 93.2 %: the 80-90 % row is blank over the first 4 columns only.
    assert lines[top + 1] == "     │" + " " * 4 + "█" * 16
    assert lines[top + 3] == "     │" + "█" * 20  # 60-70 %
    assert lines[top + 10] == "   0% └" + "─" * 20


def test_changes_after_new_purchases_and_history(shop):
    shop("tiers", "classify", "--as-of", "2026-04-30")
    shop("purchases", "add", "K4", "--amount", "5000", "--on", "2026-04-20")
    shop("tiers", "classify", "--as-of", "2026-04-30")
    moved = rows(shop("tiers", "changes"))
    # Before: K1 2000, K2 600 (A: 71.7 % above it), K3 150 (B), K4 40.5 (C).
    # After: K4 5040.5 (A), K1 (A: 64.7 % above), K2 (B: 90.4 %), K3 (C: 98.1 %).
    assert [(r["code"], r["from"], r["to"], r["change"]) for r in moved] == [
        ("K2", "A", "B", "demoted"),
        ("K3", "B", "C", "demoted"),
        ("K4", "C", "A", "promoted"),
    ]
    assert rows(shop("tiers", "changes", "--since", "1")) == moved
    assert rows(shop("tiers", "changes", "--since", "2026-04-30")) == moved
    history = rows(shop("tiers", "history", "K4"))
    assert [(r["run"], r["tier"], r["spend"], r["above_pct"]) for r in history] == [
        ("2", "A", "5040.5", "0.00"),
        ("1", "C", "40.5", "98.55"),  # 2750 of 2790.5 held by the three above
    ]
    runs = rows(shop("tiers", "runs"))
    assert [r["run"] for r in runs] == ["2", "1"]


def test_changes_needs_two_runs(shop):
    assert shop("tiers", "changes", ok=False).exit_code == 1
    shop("tiers", "classify", "--as-of", "2026-04-30")
    result = shop("tiers", "changes", ok=False)
    assert result.exit_code == 1 and "classify again" in result.stderr


def test_set_tier_survives_classification_until_cleared(shop):
    shop("tiers", "classify", "--as-of", "2026-04-30")
    shop("customers", "set-tier", "K5", "A", "--reason", "the owner's mentor")
    shop("tiers", "classify", "--as-of", "2026-04-30")
    listed = rows(shop("customers", "list", "--fields", "code,tier"))
    assert {r["code"]: r["tier"] for r in listed}["K5"] == "A"
    history = shop("tiers", "history", "K5")
    assert "tier set by hand: A (the owner's mentor)" in history.stderr
    page = shop("customers", "show", "K5", "--format", "table").stdout
    assert "A (set by hand: the owner's mentor)" in page
    shop("customers", "set-tier", "K5", "--clear")
    listed = rows(shop("customers", "list", "--fields", "code,tier"))
    assert {r["code"]: r["tier"] for r in listed}["K5"] == "C"
    assert shop("customers", "set-tier", "K5", "A", ok=False).exit_code == 1  # no reason
    assert shop("customers", "set-tier", "K5", ok=False).exit_code == 2
    assert shop("customers", "set-tier", "K5", "D", "--reason", "x", ok=False).exit_code == 1


def test_at_risk_lists_overdue_a_and_b_with_their_numbers(shop):
    shop("tiers", "classify", "--as-of", "2026-04-30")  # K1 and K2 are A, K3 is B
    # K1 buys every 30 days, K2 bought on two days 10 days apart; K3 and K4 only once.
    risky = rows(shop("customers", "at-risk", "--as-of", "2026-04-20"))
    assert [(r["code"], r["days_since"], r["interval_days"], r["ratio"]) for r in risky] == [
        ("K2", "40", "10.0", "4.0")
    ]
    later = rows(shop("customers", "at-risk", "--as-of", "2026-06-30"))
    assert [(r["code"], r["tier"], r["days_since"], r["ratio"]) for r in later] == [
        ("K2", "A", "111", "11.1"),  # most overdue first
        ("K1", "A", "86", "2.87"),
    ]
    shop("config", "set", "tiers.at_risk.k", "3")
    assert [r["code"] for r in rows(shop("customers", "at-risk", "--as-of", "2026-06-30"))] == [
        "K2"
    ]
    assert [
        r["code"] for r in rows(shop("customers", "at-risk", "--as-of", "2026-06-30", "--k", "2"))
    ] == ["K2", "K1"]


def test_who_bought_for_an_offer(shop):
    shop("tiers", "classify", "--as-of", "2026-04-30")
    found = rows(shop("customers", "who-bought", "--item", "beans"))
    assert [(r["code"], r["email"], r["spent"]) for r in found] == [
        ("K2", "k2@example.com", "300"),
        ("K3", "k3@example.com", "150"),
    ]
    assert [
        r["code"]
        for r in rows(shop("customers", "who-bought", "--category", "coffee", "--tier", "A"))
    ] == ["K2"]
    assert rows(shop("customers", "who-bought", "--item", "beans", "--since", "2026-03-05")) == [
        {
            "code": "K2",
            "name": "Customer 2",
            "phone": "",
            "email": "k2@example.com",
            "tier": "A",
            "spent": "300",
            "last": "2026-03-11",
        }
    ]
    shop("customers", "edit", "K3", "--do-not-contact")
    assert [r["code"] for r in rows(shop("customers", "who-bought", "--item", "beans"))] == ["K2"]
    data = json.loads(
        shop(
            "customers",
            "who-bought",
            "--item",
            "machine",
            "--format",
            "json",
            "--fields",
            "code,lines,spent",
        ).stdout
    )
    assert data == [{"code": "K1", "lines": 4, "spent": "2000"}]
    assert shop("customers", "who-bought", ok=False).exit_code == 2
    assert (
        shop("customers", "who-bought", "--item", "a", "--category", "b", ok=False).exit_code == 2
    )


def test_attitude_set_and_suggested(shop):
    result = shop("customers", "set-attitude", "K1", "--as-of", "2026-04-30")
    assert result.stdout == ""
    assert "suggested from buying: loyal (bought on 4 days" in result.stderr
    assert shop("customers", "set-attitude", "K1", "brand-switching").stdout == "brand-switching\n"
    listed = rows(shop("customers", "attitudes", "--as-of", "2026-04-30", "--differs"))
    assert [(r["code"], r["attitude"], r["suggested"]) for r in listed] == [
        ("K1", "brand-switching", "loyal"),
        # K2 bought the Grinder on its first sale and the beans 9 days after theirs:
        # an early adopter of two launches, so loyal (issue 18.5), not brand-switching.
        ("K2", "", "loyal"),
        ("K3", "", "no-loyalty"),
        ("K4", "", "no-loyalty"),
    ]
    assert shop("customers", "set-attitude", "K1", "fickle", ok=False).exit_code == 1
    shop("customers", "set-attitude", "K1", "--clear")
    assert rows(shop("customers", "attitudes", "--fields", "code,attitude"))[0]["attitude"] == ""


def test_customer_page_shows_tier_history_and_top_buys(shop):
    shop("tiers", "classify", "--as-of", "2026-03-31")
    shop("tiers", "classify", "--as-of", "2026-04-30")
    data = json.loads(shop("customers", "show", "K2", "--format", "json").stdout)
    assert data["tier"]["tier"] == "A"
    assert [h["as_of"] for h in data["tier"]["history"]] == ["2026-04-30", "2026-03-31"]
    assert data["tier"]["classified"]["spend"] == "600"
    assert [c["name"] for c in data["top"]["category"]] == ["Coffee", "Equipment"] or [
        c["name"] for c in data["top"]["category"]
    ] == ["Equipment", "Coffee"]
    assert {i["name"]: i["spent"] for i in data["top"]["item"]} == {
        "Grinder": "300",
        "Beans 1kg": "300",
    }
    page = shop("customers", "show", "K2", "--format", "table").stdout
    assert "Buys most" in page and "Beans 1kg (300" in page
    assert "rank 2 of 5" in page


@pytest.mark.parametrize(
    "command",
    [
        ("tiers", "classify"),
        ("tiers", "report"),
        ("tiers", "changes"),
        ("tiers", "history"),
        ("tiers", "runs"),
        ("customers", "set-tier"),
        ("customers", "at-risk"),
        ("customers", "who-bought"),
        ("customers", "set-attitude"),
        ("customers", "attitudes"),
    ],
)
def test_every_new_command_has_help(cli, command):
    out = cli(*command, "--help").stdout
    assert "Usage:" in out and len(out.splitlines()) > 4


def test_demo_classifies_and_reports(cli, tmp_path):
    out = cli("demo", "--path", str(tmp_path / "d" / "demo.db")).stdout
    assert "$ crmcli tiers classify && crmcli tiers report" in out
    report = out[out.index("tier,customers,revenue,share_pct,average") :].splitlines()[1:4]
    assert [line.split(",")[0] for line in report] == ["A", "B", "C"]
