"""Classification rules, runs, changes, history and overrides (core)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcli import customers, purchases, tiers
from crmcli.db import open_db
from crmcli.errors import InvalidValue, NotFound, UsageError

AS_OF = date(2026, 6, 30)
M = 1_000_000


def shop(db, spends, *, on=date(2026, 6, 1)):
    """One customer per amount (None = no purchase at all); returns their ids."""
    ids = []
    for i, amount in enumerate(spends):
        cid = customers.add(db, name=f"c{i}", code=f"C{i}")
        ids.append(cid)
        if amount is not None:
            purchases.add(db, customer_id=cid, amount_micros=amount * M, on=on)
    return ids


def assignments(db, run):
    return {
        cid: (tier, spend, rank, reason)
        for cid, tier, spend, rank, reason in db.execute(
            f"SELECT customer_id, tier, spend_micros, rank, {tiers.reason_of('a')}"
            " FROM tier_assignments a WHERE run_id = ?",
            [run.id],
        )
    }


def tiers_of(db, run):
    return {cid: v[0] for cid, v in assignments(db, run).items()}


def test_pareto_customer_who_crosses_the_threshold_is_still_a(db):
    ids = shop(db, [500, 300, 100, 50, None])
    run = tiers.classify(db, as_of=AS_OF)
    got = assignments(db, run)
    # 500 holds 52.6 % < 80 % above the second customer, so 300 (crossing 80 %) is A.
    assert [got[i][0] for i in ids] == ["A", "A", "B", "B", "C"]
    assert (
        got[ids[2]][3] == "the customers ranked above hold 80 % of revenue or more, less than 95 %"
    )
    assert tiers.share_above(db, run.id, ids[2]) == Fraction(800, 950)  # rank 3
    assert got[ids[4]][3] == "no purchases in the window"
    assert run.counts == {"A": 2, "B": 2, "C": 1}
    assert run.revenue_micros == 950 * M
    assert [got[i][2] for i in ids] == [1, 2, 3, 4, 5]


def test_net_of_refunds_and_no_net_spend_is_c(db):
    ids = shop(db, [100, 100, 10])
    purchases.add(db, customer_id=ids[0], amount_micros=-80 * M, on=date(2026, 6, 2))
    purchases.add(db, customer_id=ids[2], amount_micros=-10 * M, on=date(2026, 6, 2))
    got = assignments(db, tiers.classify(db, as_of=AS_OF))
    assert got[ids[1]][:2] == ("A", 100 * M)
    # 100 − 80 = 20 ranks second: the 100 above it is 83.3 % of the 120 brought.
    assert got[ids[0]][:3] == ("B", 20 * M, 2)
    assert got[ids[2]][0] == "C"
    assert got[ids[2]][3] == "returns outweigh purchases: no net spend"


def test_ties_go_to_the_lower_customer_id(db):
    ids = shop(db, [10, 10, 10, 10])
    got = assignments(db, tiers.classify(db, rule="top-share", as_of=AS_OF))
    assert [got[i][2] for i in ids] == [1, 2, 3, 4]
    assert [got[i][0] for i in ids] == ["A", "B", "C", "C"]  # ceil(20 % of 4) = 1, ceil(50 %) = 2


def test_window_counts_only_purchases_in_it(db):
    ids = shop(db, [None, None])
    purchases.add(db, customer_id=ids[0], amount_micros=100 * M, on=date(2025, 6, 30))  # too old
    purchases.add(db, customer_id=ids[0], amount_micros=5 * M, on=date(2025, 7, 1))  # first day
    purchases.add(db, customer_id=ids[1], amount_micros=50 * M, on=date(2026, 7, 1))  # future
    purchases.add(db, customer_id=ids[1], amount_micros=1 * M, on=AS_OF)
    got = assignments(db, tiers.classify(db, window="12m", as_of=AS_OF))
    assert got[ids[0]][1] == 5 * M and got[ids[1]][1] == 1 * M
    everything = assignments(db, tiers.classify(db, window="all", as_of=AS_OF))
    assert everything[ids[0]][1] == 105 * M


def test_archived_customers_are_left_out(db):
    ids = shop(db, [10, 20])
    customers.archive(db, ids[1])
    run = tiers.classify(db, as_of=AS_OF)
    assert set(tiers_of(db, run)) == {ids[0]} and run.customers == 1


def test_thresholds_are_settings_and_validated(db):
    ids = shop(db, [50, 30, 20])
    from crmcli import settings as s

    s.set_value(db, "tiers.pareto.a", "50")
    assert tiers_of(db, tiers.classify(db, as_of=AS_OF))[ids[1]] == "B"
    with pytest.raises(InvalidValue):
        tiers.classify(db, as_of=AS_OF, thresholds={"a": "90", "b": "60"})
    with pytest.raises(InvalidValue):
        tiers.classify(db, rule="top-share", as_of=AS_OF, thresholds={"a": "80", "b": "30"})
    with pytest.raises(InvalidValue):
        tiers.classify(db, rule="abc", as_of=AS_OF)
    with pytest.raises(UsageError):
        tiers.classify(db, rule="growth", window="12m", as_of=AS_OF)


def test_growth_rule(db):
    grower, flat, big, idle = shop(db, [None, None, None, None])
    for year_ago, amount in ((2, 100), (1, 110), (0, 121)):  # +10 % exactly, twice
        purchases.add(
            db, customer_id=grower, amount_micros=amount * M, on=date(2026 - year_ago, 3, 1)
        )
    for year_ago, amount in ((2, 100), (1, 120), (0, 125)):  # +20 %, then +4 %
        purchases.add(
            db, customer_id=flat, amount_micros=amount * M, on=date(2026 - year_ago, 3, 1)
        )
    purchases.add(db, customer_id=big, amount_micros=1000 * M, on=date(2026, 1, 5))
    run = tiers.classify(db, rule="growth", as_of=AS_OF)
    got = assignments(db, run)
    assert got[big][0] == "A"  # ceil(20 % of 3 spenders) = 1
    assert got[grower][0] == "B"
    assert got[grower][3] == "sales grew 10.0 % and then 10.0 % year on year"
    assert got[flat][0] == "C"
    assert got[idle][:2] == ("C", 0)
    assert run.window == "36m"


def test_override_survives_reclassification_until_cleared(db):
    ids = shop(db, [100, 1])
    tiers.classify(db, as_of=AS_OF)
    tiers.set_override(db, ids[1], tier="a", reason="family business")
    tiers.classify(db, as_of=AS_OF)
    assert tiers.current_tiers(db)[ids[1]] == "A"
    row = customers.get(db, ids[1]).fields
    assert row["tier_override_reason"] == "family business"
    assert tiers.clear_override(db, ids[1]) is True
    assert tiers.current_tiers(db)[ids[1]] == "C"  # 100 of 101 above it: ≥ 95 %
    with pytest.raises(InvalidValue):
        tiers.set_override(db, ids[1], tier="D", reason="x")
    with pytest.raises(InvalidValue):
        tiers.set_override(db, ids[1], tier="A", reason=" ")


def test_changes_after_new_purchases_show_exactly_who_moved(db):
    ids = shop(db, [400, 300, 200, 100, 50, None])
    first = tiers.classify(db, as_of=AS_OF)
    before = tiers_of(db, first)
    purchases.add(db, customer_id=ids[5], amount_micros=2000 * M, on=date(2026, 6, 10))
    purchases.add(db, customer_id=ids[3], amount_micros=-100 * M, on=date(2026, 6, 10))
    second = tiers.classify(db, as_of=AS_OF)
    after = tiers_of(db, second)
    moved = {cid for cid in after if before[cid] != after[cid]}
    assert moved  # the example moves people
    listed = list(tiers.changes(db, older=first, newer=second))
    assert {m.customer_id for m in listed} == moved
    assert all((m.before, m.after) == (before[m.customer_id], after[m.customer_id]) for m in listed)
    kinds = [m.kind for m in listed]
    # A demotions lead the list, promotions come after the demotions.
    a_demotions = [m for m in listed if m.before == "A" and m.kind == "demoted"]
    assert listed[: len(a_demotions)] == a_demotions and a_demotions
    assert kinds.index("promoted") > max(i for i, k in enumerate(kinds) if k == "demoted")
    assert tiers.resolve_since(db, None, newer=second).id == first.id
    assert tiers.resolve_since(db, str(first.id), newer=second).id == first.id
    assert tiers.resolve_since(db, AS_OF.isoformat(), newer=second).id == first.id
    with pytest.raises(NotFound):
        tiers.resolve_since(db, "2020-01-01", newer=second)


def test_new_customer_appears_as_new_in_changes(db):
    shop(db, [10])
    first = tiers.classify(db, as_of=AS_OF)
    newcomer = customers.add(db, name="new")
    second = tiers.classify(db, as_of=AS_OF)
    assert [(m.customer_id, m.kind) for m in tiers.changes(db, older=first, newer=second)] == [
        (newcomer, "new")
    ]


def test_history_newest_first(db):
    ids = shop(db, [10, 20])
    tiers.classify(db, as_of=date(2026, 6, 1))
    tiers.classify(db, rule="top-share", as_of=AS_OF)
    rows = tiers.history(db, ids[0])
    assert [(r["rule"], r["tier"], r["rank"], r["of"]) for r in rows] == [
        ("top-share", "C", 2, 2),  # top 20 % and next 30 % of two spenders: one customer
        ("pareto", "A", 2, 2),  # 20 of 30 above it: 66.7 % < 80 %
    ]


def test_a_run_keeps_each_shared_reason_once_and_history_says_it(db):
    ids = shop(db, [500, 300, 100, 50, None])
    purchases.add(db, customer_id=ids[3], amount_micros=-60 * M, on=date(2026, 6, 2))
    run = tiers.classify(db, as_of=AS_OF)
    # Five customers, four different reasons: each kept once, the rows carry a code.
    assert db.execute(
        "SELECT count(*) FROM tier_run_reasons WHERE run_id = ?", [run.id]
    ).fetchone()[0] == len(
        {tiers.NO_LINES, tiers.NO_NET_SPEND, tiers.WHY_A, tiers.WHY_B, tiers.WHY_C}
    )
    assert (
        db.execute(
            "SELECT count(*) FROM tier_assignments WHERE run_id = ? AND (reason IS NOT NULL"
            " OR reason_code IS NULL)",
            [run.id],
        ).fetchone()[0]
        == 0
    )
    said = {cid: tiers.history(db, cid)[0]["reason"] for cid in ids}
    held = "the customers ranked above hold"
    assert said == {
        ids[0]: f"{held} less than 80 % of revenue",
        ids[1]: f"{held} less than 80 % of revenue",
        ids[2]: f"{held} 80 % of revenue or more, less than 95 %",
        ids[3]: "returns outweigh purchases: no net spend",
        ids[4]: "no purchases in the window",
    }


def test_growth_keeps_its_own_words_on_the_row_and_the_shared_ones_once(db):
    grower, big, idle = shop(db, [None, None, None])
    for year_ago, amount in ((2, 100), (1, 110), (0, 121)):
        purchases.add(
            db, customer_id=grower, amount_micros=amount * M, on=date(2026 - year_ago, 3, 1)
        )
    purchases.add(db, customer_id=big, amount_micros=1000 * M, on=date(2026, 1, 5))
    run = tiers.classify(db, rule="growth", as_of=AS_OF)
    rows = dict(
        db.execute(
            "SELECT customer_id, reason_code FROM tier_assignments WHERE run_id = ?", [run.id]
        ).fetchall()
    )
    assert rows == {grower: None, big: tiers.WHY_A, idle: tiers.NO_LINES}
    assert [tiers.history(db, c)[0]["reason"] for c in (grower, big, idle)] == [
        "sales grew 10.0 % and then 10.0 % year on year",
        "in the top 20 % of 2 spenders by the last 12 months' sales",
        "no purchases in the last 12 months",
    ]


def test_a_run_stored_with_its_words_on_every_row_is_read_as_it_was(db):
    """Runs made before m130 keep their reasons on each row, with no code."""
    (cid,) = shop(db, [10])
    run = tiers.classify(db, as_of=AS_OF)
    with db.write():
        db.execute(
            "UPDATE tier_assignments SET reason = 'written on the row', reason_code = NULL"
            " WHERE run_id = ?",
            [run.id],
        )
        db.execute("DELETE FROM tier_run_reasons WHERE run_id = ?", [run.id])
    assert tiers.history(db, cid)[0]["reason"] == "written on the row"


def test_summary_and_curve(db):
    shop(db, [600, 300, 100, None])
    run = tiers.classify(db, as_of=AS_OF)
    rows = {s.tier: s for s in tiers.summary(run)}
    assert (rows["A"].customers, rows["A"].revenue_micros) == (2, 900 * M)
    assert rows["A"].share == Fraction(9, 10) and rows["A"].average_micros == 450 * M
    assert rows["C"].customers == 1 and rows["C"].share == 0
    curve = tiers.pareto_curve(db, run, points=4)
    assert [(p.customer_share, p.revenue_share) for p in curve] == [
        (Fraction(1, 4), Fraction(6, 10)),
        (Fraction(2, 4), Fraction(9, 10)),
        (Fraction(3, 4), Fraction(1)),
        (Fraction(1), Fraction(1)),
    ]
    with pytest.raises(NotFound):
        tiers.get_run(db, 99)


# --- properties ------------------------------------------------------------------------

lines = st.lists(
    st.tuples(
        st.integers(0, 11),  # customer
        st.integers(-50_000_000, 1_000_000_000),  # amount, micro-units; some are refunds
        st.integers(0, 400),  # days before AS_OF
    ),
    max_size=40,
)


def build(spec, *, customer_order, line_order):
    db = open_db(":memory:")
    for cid in customer_order:
        db.execute(
            "INSERT INTO customers (id, name, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
            [cid + 1, f"c{cid}"],
        )
    for i in line_order:
        cid, amount, back = spec[i]
        day = date.fromordinal(AS_OF.toordinal() - back).isoformat()
        db.execute(
            "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
            " VALUES (?, ?, ?, 'x')",
            [cid + 1, day, amount],
        )
    return db


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(
    spec=lines, a=st.integers(1, 99), extra=st.integers(0, 50), rule=st.sampled_from(tiers.RULES)
)
def test_tiers_partition_the_customers(spec, a, extra, rule):
    db = build(spec, customer_order=range(12), line_order=range(len(spec)))
    thresholds = (
        {"a": str(a), "b": str(min(100, a + extra))}
        if rule != "growth"
        else {"top": str(a), "rate": str(extra)}
    )
    if rule == "top-share" and a + min(100, a + extra) > 100:
        thresholds["b"] = str(100 - a)
    window = None if rule == "growth" else "12m"
    run = tiers.classify(db, rule=rule, window=window, as_of=AS_OF, thresholds=thresholds)
    got = tiers_of(db, run)
    assert sorted(got) == list(range(1, 13))
    assert sum(run.counts.values()) == 12 == run.customers
    assert set(got.values()) <= set(tiers.TIERS)


@PROPS
@given(spec=lines, a=st.integers(1, 99), extra=st.integers(0, 50))
def test_pareto_a_holds_the_threshold_and_nobody_richer_sits_lower(spec, a, extra):
    b = min(100, a + extra)
    db = build(spec, customer_order=range(12), line_order=range(len(spec)))
    run = tiers.classify(db, window="all", as_of=AS_OF, thresholds={"a": str(a), "b": str(b)})
    got = assignments(db, run)
    positive = sum(max(spend, 0) for _, spend, _, _ in got.values())
    held = {t: sum(spend for tier, spend, _, _ in got.values() if tier == t) for t in tiers.TIERS}
    assert Fraction(held["A"]) >= Fraction(a, 100) * positive
    assert Fraction(held["A"] + held["B"]) >= Fraction(b, 100) * positive
    for t1, s1, _, _ in got.values():
        for t2, s2, _, _ in got.values():
            if s1 > s2:
                assert t1 <= t2
    expected_net = sum(amount for cid, amount, back in spec)
    assert run.revenue_micros == expected_net


@PROPS
@given(spec=lines, data=st.data(), rule=st.sampled_from(tiers.RULES))
def test_results_do_not_depend_on_row_order(spec, data, rule):
    customer_order = data.draw(st.permutations(range(12)))
    line_order = data.draw(st.permutations(range(len(spec))))
    plain = build(spec, customer_order=range(12), line_order=range(len(spec)))
    shuffled = build(spec, customer_order=customer_order, line_order=line_order)
    one = tiers.classify(plain, rule=rule, as_of=AS_OF, now="t")
    two = tiers.classify(shuffled, rule=rule, as_of=AS_OF, now="t")
    assert assignments(plain, one) == assignments(shuffled, two)


@pytest.mark.sqlite_only("reads SQLite's query plan (set_trace_callback, EXPLAIN QUERY PLAN)")
@pytest.mark.parametrize("rule", tiers.RULES)
def test_spend_is_summed_from_the_covering_index_never_the_table(db, rule):
    """Each customer's window is a seek in purchases_customer_date (customer, date,
    amount): no scan of purchases, no sort or hash of every line (issue 17 item 6)."""
    shop(db, [10, 20, None])
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        tiers.classify(db, rule=rule, as_of=AS_OF)
    finally:
        db.conn.set_trace_callback(None)
    marker = "CREATE TEMP TABLE tier_spend AS"
    create = next(s for s in statements if marker in s)  # with its parameters bound
    select = create.split(marker, 1)[1]
    plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + select)]
    on_purchases = [step for step in plan if " p " in f" {step} " or "purchases" in step]
    assert on_purchases, plan
    assert all(
        step.startswith("SEARCH p USING COVERING INDEX purchases_customer_date (customer_id=?")
        for step in on_purchases
    ), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.sqlite_only("SQLite's foreign_keys pragma; PostgreSQL's keys are never off")
def test_a_run_leaves_foreign_keys_on_and_its_rows_consistent(db):
    """Classification skips the per-row reference checks (its rows come from the tables
    it references): the pragma is back on afterwards, also after a refused run."""
    shop(db, [10, 20, None])
    tiers.classify(db, as_of=AS_OF)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(InvalidValue):
        tiers.classify(db, as_of=AS_OF, thresholds={"a": "90", "b": "60"})
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


@pytest.mark.sqlite_only("counts statements through SQLite's set_trace_callback")
def test_a_run_and_its_summary_read_the_run_s_rows_once(db):
    # Counting each tier and summing its spend is one pass over the run's rows (0.02-0.07 s
    # at 100k customers): the summary is read from the run, not from a second pass; and
    # the pass sorts nothing (grouping by tier sorted 100k rows first: 27 against 18 ms).
    shop(db, [600, 300, 100, None])
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        run = tiers.classify(db, as_of=AS_OF)
        rows = tiers.summary(run)
    finally:
        db.conn.set_trace_callback(None)
    passes = [s for s in seen if "FROM tier_assignments WHERE run_id" in s and "tier" in s]
    assert len(passes) == 1, passes
    plan = [str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + passes[0])]
    assert not [step for step in plan if "TEMP B-TREE" in step], plan
    assert [(s.tier, s.customers, s.revenue_micros) for s in rows] == [
        ("A", 2, 900 * M),
        ("B", 1, 100 * M),
        ("C", 1, 0),
    ]
    assert run.tier_revenue_micros == {"A": 900 * M, "B": 100 * M, "C": 0}


def test_every_rule_the_setting_offers_classifies(db):
    """`tiers.rule`'s choices are the rules `classify` knows (one list, in settings)."""
    from crmcli import settings as s

    shop(db, [30, 20, 10])
    for rule in s.choices("tiers.rule"):
        s.set_value(db, "tiers.rule", rule)
        assert tiers.classify(db, as_of=AS_OF).rule == rule
    with pytest.raises(InvalidValue, match="must be one of: pareto, top-share, growth"):
        s.set_value(db, "tiers.rule", "abc")
