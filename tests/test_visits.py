"""Visit plans with a goal (issue 18 item 3): plan, list, cancel, the agenda, the record."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from crmcli import agenda, customers, page, tiers, visits
from crmcli.errors import Conflict, InvalidValue, NotFound

FAR = date(2030, 1, 1)  # well after any tier visit of a customer added today fell due


@pytest.fixture
def shop(db):
    a = customers.add(db, name="Kim Minsu", code="K1")
    b = customers.add(db, name="Lee Jiwoo", code="L2")
    tiers.set_override(db, a, tier="A", reason="test")  # tiers.cadence.A: 1m
    tiers.set_override(db, b, tier="A", reason="test")
    return a, b


def _visits(db, start: date, end: date | None = None) -> dict[int, agenda.Entry]:
    entries = agenda.due(db, start=start, end=end or start, kinds=["visit"])
    return {e.item.customer_id: e for e in entries}


def test_a_plan_overrides_the_tier_cadence_and_shows_its_goal(db, shop):
    a, b = shop
    assert set(_visits(db, FAR)) == {a, b}  # both tier A visits are long overdue
    made, replaced = visits.plan(
        db, customer_id=a, every="1y", goal="Show the spring line", from_day=date(2030, 6, 1)
    )
    assert replaced is None and made.every == "1y"
    assert set(_visits(db, FAR)) == {b}  # the plan's first visit is not due yet
    due = _visits(db, date(2030, 6, 1))[a]
    assert due.item.key == f"visit:{a}:2030-06-01"
    assert "goal: Show the spring line" in due.row()["why"]
    assert "every 1y" in due.row()["why"]
    visits.cancel(db, made.id)
    assert set(_visits(db, FAR)) == {a, b}  # the tier's cadence again


def test_a_plan_visits_a_customer_whose_tier_is_never_visited(db):
    c = customers.add(db, name="No Tier")
    assert _visits(db, FAR) == {}
    visits.plan(db, customer_id=c, every="3m", goal="First order", from_day=FAR)
    assert list(_visits(db, FAR)) == [c]


def test_a_logged_visit_restarts_the_clock_and_keeps_whether_the_goal_was_met(db, shop):
    a, _ = shop
    visits.plan(db, customer_id=a, every="3m", goal="Sell the upgrade", from_day=FAR)
    visits.log_visit(db, customer_id=a, outcome="not-met", note="not yet", at="2030-01-02")
    assert a not in _visits(db, date(2030, 1, 3))  # the visit is closed
    assert visits.next_visits(db)[a].on == date(2030, 4, 2)
    visits.log_visit(db, customer_id=a, outcome="met", note="bought", at="2030-04-03")
    visits.log_visit(db, customer_id=a, at="2030-05-01")  # a visit, the goal not said
    record = visits.record(db, a)
    assert (record["visits"], record["goals_met"]) == (3, 1)
    assert [r["met"] for r in record["recent"]] == [None, True, False]
    assert record["plan"]["next"] == "2030-08-01"
    assert page.build(db, a)["visits"] == record


def test_the_record_keeps_the_goal_each_visit_had(db, shop):
    a, _ = shop
    visits.plan(db, customer_id=a, every="1m", goal="Old goal", from_day=FAR)
    visits.log_visit(db, customer_id=a, outcome="met", at="2030-01-01")
    visits.plan(db, customer_id=a, every="1m", goal="New goal", from_day=FAR)
    visits.log_visit(db, customer_id=a, outcome="not-met", at="2030-02-01")
    recent = visits.record(db, a)["recent"]
    assert [(r["goal"], r["met"]) for r in recent] == [("New goal", False), ("Old goal", True)]


def test_an_outcome_needs_a_plan_and_a_known_value(db, shop):
    a, _ = shop
    with pytest.raises(InvalidValue, match="no plan"):
        visits.log_visit(db, customer_id=a, outcome="met")
    visits.plan(db, customer_id=a, every="1m", goal="g", from_day=FAR)
    with pytest.raises(InvalidValue, match="met, not-met"):
        visits.log_visit(db, customer_id=a, outcome="maybe")
    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0  # nothing half-done


@pytest.mark.parametrize("span", ["0d", "11y", "3q", "", "1m-", "9999999y"])
def test_spans_outside_the_cadence_bounds_are_refused(db, shop, span):
    with pytest.raises(InvalidValue, match="--every"):
        visits.plan(db, customer_id=shop[0], every=span, goal="g", from_day=FAR)
    assert visits.rows(db, include_cancelled=True) == []


@pytest.mark.parametrize(("span", "stored"), [("1d", "1d"), ("10y", "10y"), (" 3M", "3m")])
def test_spans_within_the_bounds_are_kept(db, shop, span, stored):
    made, _ = visits.plan(db, customer_id=shop[0], every=span, goal="g", from_day=FAR)
    assert made.every == stored


def test_a_new_plan_replaces_the_one_in_force(db, shop):
    a, _ = shop
    first, _ = visits.plan(db, customer_id=a, every="1m", goal="one", from_day=FAR)
    second, replaced = visits.plan(db, customer_id=a, every="2m", goal="two", from_day=FAR)
    assert replaced == first
    assert [r["id"] for r in visits.rows(db)] == [second.id]
    shown = {r["id"]: r["status"] for r in visits.rows(db, include_cancelled=True)}
    assert shown == {first.id: "cancelled", second.id: "active"}


def test_cancel_refuses_twice_and_unknown_plans(db, shop):
    made, _ = visits.plan(db, customer_id=shop[0], every="1m", goal="g", from_day=FAR)
    visits.cancel(db, made.id)
    with pytest.raises(Conflict):
        visits.cancel(db, made.id)
    with pytest.raises(NotFound):
        visits.cancel(db, 999)


def test_goals_are_checked(db, shop):
    for bad in ("   ", "x" * 501, "bell\x07"):
        with pytest.raises(InvalidValue, match="--goal"):
            visits.plan(db, customer_id=shop[0], every="1m", goal=bad, from_day=FAR)


# --- the command line -------------------------------------------------------------------


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def planned(cli):
    cli("customers", "add", "--name", "Kim Minsu", "--code", "K1")
    cli("customers", "add", "--name", "Lee Jiwoo", "--code", "L2")
    cli("visits", "plan", "K1", "--every", "3m", "--goal", "Show the spring line",
        "--from", "2030-01-01")  # fmt: skip
    return cli


def test_cli_plan_due_log_and_page(planned):
    cli = planned
    due = _csv(cli("due", "--as-of", "2030-01-01", "--kind", "visit", "--format", "csv").stdout)
    assert [(r["ref"], r["kind"]) for r in due] == [("K1", "visit")]
    assert "goal: Show the spring line" in due[0]["why"]
    cli("contacts", "log", "K1", "--visit", "--outcome", "met", "--note", "loved it",
        "--on", "2030-01-02")  # fmt: skip
    after = cli("due", "--as-of", "2030-01-03", "--kind", "visit", "--format", "csv").stdout
    assert _csv(after) == []
    shown = json.loads(cli("customers", "show", "K1", "--format", "json").stdout)
    assert shown["visits"]["plan"]["next"] == "2030-04-02"
    assert (shown["visits"]["visits"], shown["visits"]["goals_met"]) == (1, 1)
    text = cli("customers", "show", "K1", "--format", "table").stdout
    assert "Goal: Show the spring line" in text
    assert "Record: 1 visit made, 1 goal met" in text


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "table"])
def test_cli_list_in_every_format(planned, fmt):
    out = planned("visits", "list", "--format", fmt, "--fields", "id,ref,goal,next").stdout
    assert "Show the spring line" in out and "2030-01-01" in out
    if fmt == "json":
        assert json.loads(out) == [
            {"id": 1, "ref": "K1", "goal": "Show the spring line", "next": "2030-01-01"}
        ]
    if fmt == "csv":
        assert out.splitlines()[0] == "id,ref,goal,next"


def test_cli_list_refuses_unknown_fields(planned):
    result = planned("visits", "list", "--fields", "id,nope", ok=False)
    assert result.exit_code == 1 and "nope" in result.stderr


def test_cli_cancel_and_list_all(planned):
    cli = planned
    cli("visits", "cancel", "1")
    assert _csv(cli("visits", "list").stdout) == []
    rows = _csv(cli("visits", "list", "--all", "--fields", "id,status").stdout)
    assert rows == [{"id": "1", "status": "cancelled"}]
    again = cli("visits", "cancel", "1", ok=False)
    assert again.exit_code == 1 and "already cancelled" in again.stderr


def test_cli_bad_input_is_refused_and_nothing_is_written(planned):
    cli = planned
    bad = cli("visits", "plan", "L2", "--every", "11y", "--goal", "g", ok=False)
    assert bad.exit_code == 1 and "--every" in bad.stderr and "Traceback" not in bad.output
    bad = cli("visits", "plan", "L2", "--every", "1m", "--goal", "g", "--from", "soon", ok=False)
    assert bad.exit_code == 1 and "--from" in bad.stderr
    assert [r["ref"] for r in _csv(cli("visits", "list", "--all").stdout)] == ["K1"]
    usage = cli("contacts", "log", "L2", "--channel", "call", "--outcome", "met", ok=False)
    assert usage.exit_code == 2 and "--visit" in usage.stderr
    no_plan = cli("contacts", "log", "L2", "--visit", "--outcome", "met", ok=False)
    assert no_plan.exit_code == 1 and "no plan" in no_plan.stderr
    assert _csv(cli("contacts", "list", "L2").stdout) == []


def test_cli_a_new_plan_says_what_it_replaces(planned):
    result = planned("visits", "plan", "K1", "--every", "1m", "--goal", "Sell the upgrade")
    assert "replaces visit plan #1" in result.stderr
    assert result.stdout.strip() == "2"


def test_forget_erases_plans_and_their_goals(db, shop):
    from crmcli import privacy

    a, b = shop
    visits.plan(db, customer_id=a, every="1m", goal="Talk about the wedding", from_day=FAR)
    visits.log_visit(db, customer_id=a, outcome="met", at="2030-01-01")
    visits.plan(db, customer_id=b, every="1m", goal="Other's goal", from_day=FAR)
    privacy.forget(db, a)
    goals = [r[0] for r in db.execute("SELECT goal FROM visit_plans UNION ALL"
                                      " SELECT goal FROM visit_results")]  # fmt: skip
    assert goals == ["Other's goal"]
    assert a not in _visits(db, FAR)


def test_merge_keeps_one_plan_in_force_and_the_record(db, shop):
    from crmcli import merge

    a, b = shop
    visits.plan(db, customer_id=a, every="1m", goal="Kept goal", from_day=FAR)
    visits.plan(db, customer_id=b, every="2m", goal="Merged goal", from_day=FAR)
    visits.log_visit(db, customer_id=b, outcome="met", at="2030-01-01")
    merge.merge(db, a, b)
    assert [r["goal"] for r in visits.rows(db)] == ["Kept goal"]
    assert visits.record(db, a)["goals_met"] == 1
