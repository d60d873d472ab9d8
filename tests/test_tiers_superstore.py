"""Tiers on the Superstore sample match an independent computation (Decimal, Python sorting)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from crmcli import tiers
from tests.conftest import FIXTURES

SUPERSTORE = FIXTURES / "superstore-us.csv"


def read_lines():
    """(customer code, name, date, Decimal sales) for each of the 9,994 order lines."""
    with SUPERSTORE.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            # The file mixes 11-08-16 with 4/15/2017: month first either way.
            text = row["Order Date"]
            day = datetime.strptime(text, "%m-%d-%y" if "-" in text else "%m/%d/%Y").date()
            yield row["Customer ID"], row["Customer Name"], day, Decimal(row["Sales"])


@pytest.fixture(scope="module")
def lines():
    return list(read_lines())


@pytest.fixture
def loaded(db, lines):
    ids: dict[str, int] = {}
    for code, name, _, _ in lines:
        if code not in ids:
            ids[code] = db.insert(
                "customers", {"code": code, "name": name, "created_at": "x", "updated_at": "x"}
            )
    db.executemany(
        "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
        " VALUES (?, ?, ?, 'x')",
        [(ids[c], d.isoformat(), int(s * 1_000_000)) for c, _, d, s in lines],
    )
    return db, ids


def expected(lines, ids, *, since=None, until, rule, a, b):
    """Tier counts and revenue per tier, computed by hand from the CSV."""
    spend = dict.fromkeys(ids.values(), Decimal(0))
    for code, _, day, sales in lines:
        if (since is None or day >= since) and day <= until:
            spend[ids[code]] += sales
    ranked = sorted(spend.items(), key=lambda kv: (-kv[1], kv[0]))
    positive = sum(s for _, s in ranked if s > 0)
    spenders = sum(1 for _, s in ranked if s > 0)
    tier_of = {}
    above = Decimal(0)
    for rank, (cid, s) in enumerate(ranked, start=1):
        if s <= 0:
            tier = "C"
        elif rule == "pareto":
            tier = "A" if above < positive * a / 100 else "B" if above < positive * b / 100 else "C"
        else:
            tier = (
                "A"
                if rank <= math.ceil(spenders * a / 100)
                else "B"
                if rank <= math.ceil(spenders * (a + b) / 100)
                else "C"
            )
        tier_of[cid] = tier
        above += max(s, Decimal(0))
    counts = defaultdict(int)
    revenue = defaultdict(Decimal)
    for cid, tier in tier_of.items():
        counts[tier] += 1
        revenue[tier] += spend[cid]
    total = sum(spend.values())
    return dict(counts), {t: Fraction(revenue[t]) / Fraction(total) for t in revenue}, total


@pytest.mark.parametrize(
    ("rule", "window", "since", "a", "b"),
    [
        ("pareto", "all", None, 80, 95),
        ("pareto", "12m", date(2017, 1, 1), 80, 95),
        ("top-share", "all", None, 20, 30),
        ("pareto", "24m", date(2016, 1, 1), 70, 90),
    ],
)
def test_superstore_counts_and_shares(loaded, lines, rule, window, since, a, b):
    db, ids = loaded
    assert len(ids) == 793 and len(lines) == 9994
    until = date(2017, 12, 31)
    run = tiers.classify(
        db, rule=rule, window=window, as_of=until, thresholds={"a": str(a), "b": str(b)}
    )
    counts, shares, total = expected(lines, ids, since=since, until=until, rule=rule, a=a, b=b)
    assert run.counts == {t: counts.get(t, 0) for t in tiers.TIERS}
    assert Decimal(run.revenue_micros) / 1_000_000 == total
    got = {s.tier: s.share for s in tiers.summary(run) if s.customers}
    assert got == shares
    if rule == "pareto":
        assert shares["A"] >= Fraction(a, 100)
