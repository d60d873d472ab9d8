"""buying: what customers buy, who bought what (for offers), and the suggested attitude.


Domain §1 (tell a customer when an offer on what they buy arrives) and §2 (attitude:
loyal, brand-switching, no brand loyalty — seed 003).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcli import buying, customers, privacy, purchases, settings, tiers
from crmcli.errors import InvalidValue, UsageError

WON = 1_000_000  # one unit of money, in micros


def buy(db, cid, day: str, amount: int = 10, item: str | None = None, category=None) -> None:
    purchases.add(
        db, customer_id=cid, amount_micros=amount * WON, on=date.fromisoformat(day),
        item=item, category=category,
    )  # fmt: skip


@pytest.fixture
def regular(db):
    """Ann buys every ten days (three days), Bob once, Cho never."""
    ann = customers.add(db, name="Ann Lee", code="A1")
    bob = customers.add(db, name="Bob Kim", code="B1")
    cho = customers.add(db, name="Cho Yuna", code="C1")
    for day in ("2026-01-01", "2026-01-11", "2026-01-21"):
        buy(db, ann, day)
    buy(db, ann, "2026-01-21", item="second line, same day")  # still one day
    buy(db, bob, "2026-01-05")
    return ann, bob, cho


# --- the suggested attitude ------------------------------------------------------------


def test_regular_and_recent_buying_suggests_loyal(db, regular):
    ann, _, _ = regular
    found = buying.suggest_attitude(db, ann, as_of=date(2026, 1, 30))
    assert found.suggested == "loyal"
    assert (found.visits, found.last, found.days_since) == (3, "2026-01-21", 9)
    assert found.interval_days == Decimal("10.0")
    assert found.why == "bought on 3 days, about every 10.0 days; last bought 9 days ago"
    assert not found.early_adopter


@pytest.mark.parametrize(
    ("as_of", "last"),
    [("2026-01-21", "last bought today"), ("2026-01-22", "last bought 1 day ago")],
)
def test_the_last_purchase_is_counted_in_words_that_fit_the_count(db, regular, as_of, last):
    ann, _, _ = regular
    found = buying.suggest_attitude(db, ann, as_of=date.fromisoformat(as_of))
    assert found.why == f"bought on 3 days, about every 10.0 days; {last}"


def test_overdue_beyond_k_intervals_is_brand_switching(db, regular):
    ann, _, _ = regular
    # k = 2 and the usual interval 10 days: 20 days is still loyal, 21 is overdue.
    assert buying.suggest_attitude(db, ann, as_of=date(2026, 2, 10)).suggested == "loyal"
    late = buying.suggest_attitude(db, ann, as_of=date(2026, 2, 11))
    assert (late.suggested, late.days_since) == ("brand-switching", 21)
    settings.set_value(db, "tiers.at_risk.k", "3")
    assert buying.k_factor(db) == 3.0
    assert buying.suggest_attitude(db, ann, as_of=date(2026, 2, 11)).suggested == "loyal"


def test_one_day_only_is_no_loyalty(db, regular):
    _, bob, _ = regular
    found = buying.suggest_attitude(db, bob, as_of=date(2026, 3, 1))
    assert found.suggested == "no-loyalty"
    assert found.interval_days is None
    assert found.why == "bought on one day only (2026-01-05)"


def test_no_purchases_suggests_nothing(db, regular):
    _, _, cho = regular
    found = buying.suggest_attitude(db, cho, as_of=date(2026, 3, 1))
    assert (found.suggested, found.visits, found.why) == (None, 0, "no purchases yet")


def test_too_few_days_is_brand_switching_until_the_setting_says_otherwise(db):
    cid = customers.add(db, name="Dae Park")
    buy(db, cid, "2026-01-01")
    buy(db, cid, "2026-01-08")
    assert buying.suggest_attitude(db, cid, as_of=date(2026, 1, 9)).suggested == "brand-switching"
    settings.set_value(db, "attitude.loyal_visits", "2")
    assert buying.suggest_attitude(db, cid, as_of=date(2026, 1, 9)).suggested == "loyal"


def test_returns_and_later_purchases_do_not_count(db):
    cid = customers.add(db, name="Eun Seo")
    buy(db, cid, "2026-01-01")
    buy(db, cid, "2026-01-05", amount=-10)  # a return is no visit
    buy(db, cid, "2026-02-01")  # after as_of
    found = buying.suggest_attitude(db, cid, as_of=date(2026, 1, 20))
    assert (found.suggested, found.visits, found.last) == ("no-loyalty", 1, "2026-01-01")
    # The day of as_of itself counts.
    assert buying.suggest_attitude(db, cid, as_of=date(2026, 2, 1)).visits == 2


def test_attitudes_lists_every_active_customer_as_suggest_attitude_does(db, regular):
    ann, bob, cho = regular
    gone = customers.add(db, name="Archived One")
    buy(db, gone, "2026-01-01")
    customers.archive(db, gone)
    forgotten = customers.add(db, name="Forgotten One")
    privacy.forget(db, forgotten, compact=False)
    as_of = date(2026, 1, 30)
    rows = list(buying.attitudes(db, as_of=as_of))
    assert [r["id"] for r in rows] == [ann, bob, cho]
    for row in rows:
        one = buying.suggest_attitude(db, row["id"], as_of=as_of)
        assert (row["suggested"], row["visits"], row["last"], row["days_since"]) == (
            one.suggested, one.visits, one.last, one.days_since,
        )  # fmt: skip
        assert row["interval_days"] == one.interval_days
        assert set(row) == set(buying.ATTITUDE_FIELDS)


def test_attitudes_differs_shows_only_where_the_owner_disagrees(db, regular):
    ann, bob, cho = regular
    customers.edit(db, ann, attitude="loyal")  # agrees
    customers.edit(db, bob, attitude="loyal")  # disagrees: one day only
    as_of = date(2026, 1, 30)
    # Cho: nothing set, nothing suggested: no disagreement.
    assert [r["id"] for r in buying.attitudes(db, as_of=as_of, differs=True)] == [bob]
    assert {r["id"]: r["attitude"] for r in buying.attitudes(db, as_of=as_of)} == {
        ann: "loyal", bob: "loyal", cho: None,
    }  # fmt: skip


# --- top items -------------------------------------------------------------------------


def test_top_items_by_net_spend(db):
    cid = customers.add(db, name="Fay Oh")
    buy(db, cid, "2026-01-01", 30, item="Kettle", category="Goods")
    buy(db, cid, "2026-01-02", 50, item="Grinder", category="Equipment")
    buy(db, cid, "2026-01-03", 20, item="Beans", category="Coffee")
    buy(db, cid, "2026-01-04", 20, item="Beans", category="Coffee")
    buy(db, cid, "2026-01-05", 40, item="Scale", category="Goods")
    buy(db, cid, "2026-01-06", -40, item="Scale", category="Goods")  # returned: not bought
    buy(db, cid, "2026-01-07", 99)  # no item: not named
    their = buying.bought(db, cid)
    top = their.top["item"]
    assert [(t["name"], t["lines"], t["spent_micros"]) for t in top] == [
        ("Grinder", 1, 50 * WON),
        ("Beans", 2, 40 * WON),
        ("Kettle", 1, 30 * WON),
    ]
    assert (their.lines, their.total_micros, their.first, their.last) == (
        7, 219 * WON, "2026-01-01", "2026-01-07"
    )  # fmt: skip
    assert [t["name"] for t in buying.bought(db, cid, limit=1).top["item"]] == ["Grinder"]
    assert [(t["name"], t["spent_micros"]) for t in their.top["category"]] == [
        ("Equipment", 50 * WON), ("Coffee", 40 * WON), ("Goods", 30 * WON),
    ]  # fmt: skip


def test_top_ties_go_to_more_lines_then_the_name(db):
    cid = customers.add(db, name="Gil Ma")
    buy(db, cid, "2026-01-01", 10, item="Zeta")
    buy(db, cid, "2026-01-01", 10, item="Alpha")
    buy(db, cid, "2026-01-01", 5, item="Mid")
    buy(db, cid, "2026-01-02", 5, item="Mid")
    assert [t["name"] for t in buying.bought(db, cid).top["item"]] == ["Mid", "Alpha", "Zeta"]


# --- who bought ------------------------------------------------------------------------


@pytest.fixture
def offers(db):
    """Who bought coffee: a big A spender, a small one, a returner, a do-not-contact."""
    ids = {
        code: customers.add(db, name=name, code=code, phones_raw=phones, do_not_contact=dnc)
        for code, name, phones, dnc in (
            ("K1", "Kim Minjun", ["010-1111-1111", "010-2222-2222"], False),
            ("L1", "Lee Ana", [], False),
            ("R1", "Returner", [], False),
            ("N1", "No Calls", [], True),
            ("T1", "Tea Only", [], False),
        )
    }
    buy(db, ids["K1"], "2026-01-10", 300, item="Beans, dark roast", category="Coffee")
    buy(db, ids["K1"], "2026-02-10", 300, item="Beans, light roast", category="Coffee")
    buy(db, ids["L1"], "2026-03-01", 20, item="Dark roast BEANS", category="Coffee")
    buy(db, ids["R1"], "2026-01-01", 50, item="Beans 100%", category="Coffee")
    buy(db, ids["R1"], "2026-01-02", -50, item="Beans 100%", category="Coffee")
    buy(db, ids["N1"], "2026-01-01", 500, item="Beans", category="Coffee")
    buy(db, ids["T1"], "2026-01-01", 900, item="Green tea", category="Tea")
    tiers.set_override(db, ids["K1"], tier="A", reason="test")
    return ids


def _codes(rows) -> list[str]:
    return [r["code"] for r in rows]


def test_who_bought_an_item_biggest_spender_first_net_of_returns(db, offers):
    rows = list(buying.who_bought(db, item="beans"))  # any part of the name, any case
    assert _codes(rows) == ["K1", "L1"]
    kim = rows[0]
    assert kim["spent_micros"] == 600 * WON and kim["lines"] == 2
    assert kim["phone"] == "010-1111-1111"  # the first phone
    assert kim["tier"] == "A"
    # Each item whole, even with a comma in its name.
    assert sorted(kim["items"]) == ["Beans, dark roast", "Beans, light roast"]
    assert kim["last"] == "2026-02-10"


def test_who_bought_a_category_and_with_do_not_contact_when_asked(db, offers):
    assert _codes(buying.who_bought(db, category="coffee")) == ["K1", "L1"]
    everyone = _codes(buying.who_bought(db, category="coffee", include_do_not_contact=True))
    assert everyone == ["K1", "N1", "L1"]
    assert _codes(buying.who_bought(db, category="Tea")) == ["T1"]


def test_who_bought_leaves_out_archived_customers(db, offers):
    customers.archive(db, offers["L1"])
    assert _codes(buying.who_bought(db, item="beans")) == ["K1"]


def test_who_bought_text_is_matched_literally(db, offers):
    # % and _ are the user's characters, not wildcards.
    assert _codes(buying.who_bought(db, item="%")) == []
    customers.archive(db, offers["R1"], undo=True)
    buy(db, offers["R1"], "2026-01-03", 10, item="Beans 100%")
    assert _codes(buying.who_bought(db, item="100%")) == ["R1"]
    assert _codes(buying.who_bought(db, item="_")) == []


def test_who_bought_since_as_of_and_tiers(db, offers):
    assert _codes(buying.who_bought(db, item="beans", since=date(2026, 2, 1))) == ["K1", "L1"]
    since_march = list(buying.who_bought(db, item="beans", since=date(2026, 3, 1)))
    assert _codes(since_march) == ["L1"]
    before = list(buying.who_bought(db, item="beans", as_of=date(2026, 1, 31)))
    assert _codes(before) == ["K1"] and before[0]["spent_micros"] == 300 * WON
    assert _codes(buying.who_bought(db, item="beans", tiers=("a",))) == ["K1"]
    assert _codes(buying.who_bought(db, item="beans", tiers=("B", "C"))) == []


def test_who_bought_names_the_benefit_of_each_tier(db, offers):
    [kim, lee] = buying.who_bought(db, item="beans")
    assert kim["benefit"] is None and kim["discount_pct"] is None
    settings.set_value(db, "tiers.benefits.A", "discount=10%; gift=a mug")
    [kim, lee] = buying.who_bought(db, item="beans")
    assert kim["discount_pct"] == Decimal("10")
    assert kim["benefit"] == "10% discount; gift: a mug"
    assert lee["benefit"] is None  # no tier, no benefit


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, UsageError),
        ({"item": "a", "category": "b"}, UsageError),
        ({"item": "  "}, InvalidValue),
        ({"category": ""}, InvalidValue),
        ({"item": "beans", "tiers": ("D",)}, InvalidValue),
        ({"item": "beans", "early": True}, UsageError),  # early is counted as of a day
    ],
)
def test_who_bought_refuses_what_cannot_be_answered(db, offers, kwargs, error):
    with pytest.raises(error):
        list(buying.who_bought(db, **kwargs))
