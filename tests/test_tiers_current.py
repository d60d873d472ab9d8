"""Current tier per customer: the override wins, else the latest run."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta

from crmcli import customers, settings, tiers


def _run(db, as_of, assignments):
    run = db.insert(
        "tier_runs",
        {"rule": "pareto", "params": "{}", "window": "all", "as_of": as_of, "created_at": as_of},
    )
    for cid, tier in assignments.items():
        db.execute(
            "INSERT INTO tier_assignments (run_id, customer_id, tier, spend_micros, rank) "
            "VALUES (?, ?, ?, 0, 1)",
            [run, cid, tier],
        )


def test_latest_run_then_override(db):
    a, b, c = (customers.add(db, name=n) for n in ("A", "B", "C"))
    _run(db, "2026-01-01", {a: "A", b: "B"})
    _run(db, "2026-02-01", {a: "B"})
    assert tiers.current_tiers(db) == {a: "B", b: "B"}
    db.execute("UPDATE customers SET tier_override = 'A' WHERE id = ?", [c])
    assert tiers.current_tiers(db) == {a: "B", b: "B", c: "A"}


def test_cadence_settings(db):
    assert tiers.cadence(db, "A") == relativedelta(months=1)
    settings.set_value(db, "tiers.cadence.C", "")
    assert tiers.cadence(db, "C") is None


def test_current_tiers_of_some_customers_only(db):
    a, b, c = (customers.add(db, name=n) for n in ("A", "B", "C"))
    _run(db, "2026-01-01", {a: "A", b: "B", c: "C"})
    db.execute("UPDATE customers SET tier_override = 'A' WHERE id = ?", [c])
    assert tiers.current_tiers(db, [a, c]) == {a: "A", c: "A"}
    assert tiers.current_tiers(db, []) == {}
    assert tiers.current_tiers(db, [a, b, c]) == tiers.current_tiers(db)
