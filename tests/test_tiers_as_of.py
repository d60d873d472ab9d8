"""Tiers on old data: the current tier is the run of the latest as-of day (issue 12 item 6)."""

from __future__ import annotations

import csv
import io

import pytest


def rows(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def shop(cli):
    # K1 was the big spender in 2025, K2 in 2026.
    for code in ("K1", "K2", "K3"):
        cli("customers", "add", "--name", f"Customer {code}", "--code", code)
    cli("purchases", "add", "K1", "--amount", "9000", "--on", "2025-03-01")
    cli("purchases", "add", "K2", "--amount", "100", "--on", "2025-03-01")
    cli("purchases", "add", "K2", "--amount", "9000", "--on", "2026-03-01")
    cli("purchases", "add", "K1", "--amount", "100", "--on", "2026-03-01")
    cli("purchases", "add", "K3", "--amount", "10", "--on", "2026-03-01")
    return cli


def _tier(shop, code):
    listed = rows(shop("customers", "list", "--fields", "code,tier"))
    return {r["code"]: r["tier"] for r in listed}[code]


def test_a_later_run_on_an_older_day_does_not_replace_the_current_tier(shop):
    shop("tiers", "classify", "--as-of", "2026-12-31")  # run 1: K2 is A
    shop("tiers", "classify", "--as-of", "2025-12-31")  # run 2, made later: K1 was A
    assert _tier(shop, "K2") == "A" and _tier(shop, "K1") != "A"
    page = shop("customers", "show", "K2", "--format", "json").stdout
    assert '"tier": "A"' in page
    assert "as of 2026-12-31" in shop("tiers", "report", "--format", "table").stdout
    assert [r["run"] for r in rows(shop("tiers", "runs"))] == ["1", "2"]


def test_history_and_changes_follow_the_as_of_days(shop):
    shop("tiers", "classify", "--as-of", "2026-12-31")  # run 1
    shop("tiers", "classify", "--as-of", "2025-12-31")  # run 2
    history = rows(shop("tiers", "history", "K1"))
    assert [(r["run"], r["as_of"]) for r in history] == [("1", "2026-12-31"), ("2", "2025-12-31")]
    # Changes: from the older day (run 2) to the newer (run 1), K2 rose and K1 fell.
    moved = {r["code"]: (r["from"], r["to"]) for r in rows(shop("tiers", "changes"))}
    assert moved["K2"][1] == "A" and moved["K1"][0] == "A"


def test_agenda_visits_follow_the_current_tier(shop):
    shop("config", "set", "tiers.cadence.C", "")
    shop("config", "set", "tiers.cadence.B", "")
    shop("tiers", "classify", "--as-of", "2026-12-31")
    shop("tiers", "classify", "--as-of", "2025-12-31")
    due = rows(shop("due", "--as-of", "2027-06-01", "--kind", "visit"))
    assert [r["ref"] for r in due] == ["K2"]


def test_an_empty_window_warns_and_names_the_latest_purchase(shop):
    result = shop("tiers", "classify", "--as-of", "2029-06-30")
    assert "warning: no purchases from 2028-07-01 to 2029-06-30" in result.stderr
    assert "latest purchase is on 2026-03-01" in result.stderr
    assert "--as-of 2026-03-01 or --window all" in result.stderr
    quiet = shop("tiers", "classify", "--as-of", "2026-06-30")
    assert "warning" not in quiet.stderr
