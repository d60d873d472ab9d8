"""ABC tiers: rank customers by what they bring, keep every run, and watch them move.

A customer's tier is a manual override if one is set, else the tier from the most
recent classification run that included them. Classification runs in SQL: spend is
aggregated per customer, ranked with window functions and written with one
`INSERT … SELECT`, so a run over a million purchase lines takes about as long as
the bare ranking query.

Money stays integer micro-units; thresholds are turned into exact integer limits in
Python (`Fraction`) so no comparison in SQL is rounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from dateutil.relativedelta import relativedelta

from crmcli import benefits, dates, settings
from crmcli.customer_fields import latest_run_of, tier_of
from crmcli.errors import InvalidValue, NotFound, UsageError
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

TIERS = ("A", "B", "C")
# The rules `classify` knows: the `tiers.rule` setting's choices, declared once there.
RULES = settings.choices("tiers.rule")


def benefit_of(db: Engine, tier: str | None) -> benefits.Benefit | None:
    """The benefit of `tier` (None for no tier or none set)."""
    if tier not in TIERS:
        return None
    return benefits.parse(settings.get(db, f"tiers.benefits.{tier}"), tier=tier)


def all_benefits(db: Engine) -> dict[str, benefits.Benefit]:
    """tier → benefit, for the tiers that have one."""
    found = {t: benefit_of(db, t) for t in TIERS}
    return {t: b for t, b in found.items() if b is not None}


# Effective tier per customer: the override, else the run of the latest as-of day.
_CURRENT_SQL = f"""
SELECT c.id AS customer_id, coalesce(c.tier_override, a.tier) AS tier
FROM customers c
LEFT JOIN tier_assignments a
  ON a.customer_id = c.id
 AND a.run_id = {latest_run_of("c")}
WHERE c.tier_override IS NOT NULL OR a.tier IS NOT NULL
"""


def members_sql(db: Engine, tier: str) -> tuple[str, list[Any]]:
    """SQL (and its parameters) selecting the ids of the customers whose current tier is
    `tier`: the same answer as `tier_of`, without evaluating it for every customer.

    Everyone in the latest run has that run as their latest, so its rows are read
    straight (one range of the run's key); only those left out of it (archived then,
    or added since) are checked run by run. Overrides come from their partial index.
    """
    row = db.execute("SELECT id FROM tier_runs ORDER BY as_of DESC, id DESC LIMIT 1").fetchone()
    latest = row[0] if row else None
    sql = f"""SELECT id FROM customers WHERE tier_override = ?
        UNION ALL
        SELECT a.customer_id FROM tier_assignments a JOIN customers c ON c.id = a.customer_id
         WHERE a.run_id = ? AND a.tier = ? AND c.tier_override IS NULL
        UNION ALL
        SELECT a.customer_id FROM tier_assignments a JOIN customers c ON c.id = a.customer_id
         WHERE a.run_id IN (SELECT id FROM tier_runs WHERE id IS NOT ?) AND a.tier = ?
           AND c.tier_override IS NULL
           AND NOT EXISTS (SELECT 1 FROM tier_assignments b
                            WHERE b.run_id = ? AND b.customer_id = a.customer_id)
           AND a.run_id = {latest_run_of("c")}"""
    return sql, [tier, latest, tier, latest, tier, latest]


def current_tiers(db: Engine, ids: Iterable[int] | None = None) -> dict[int, str]:
    """customer id → current tier (override first): every classified customer, or `ids`'."""
    if ids is None:
        return {int(cid): tier for cid, tier in db.execute(_CURRENT_SQL)}
    sql = f"SELECT c.id, {tier_of('c')} FROM customers c WHERE c.id IN ({db.json_values()})"
    rows = db.execute(sql, [json.dumps(sorted(set(ids)))])
    return {int(cid): tier for cid, tier in rows if tier is not None}


def cadence(db: Engine, tier: str) -> relativedelta | None:
    """How often a customer of `tier` should be visited or called; None = never."""
    value = settings.get(db, f"tiers.cadence.{tier}")
    return dates.parse_span(value) if value else None


# --- classification --------------------------------------------------------------------


class Run(NamedTuple):
    """One classification run: its rule, parameters and totals."""

    id: int
    rule: str
    params: dict[str, str]
    window: str
    as_of: str
    created_at: str
    customers: int
    revenue_micros: int  # net of refunds, over every customer in the run
    counts: dict[str, int]
    tier_revenue_micros: dict[str, int]  # each tier's customers' net spend


def _percent(db: Engine, key: str, given: str | None) -> Fraction:
    text = given if given is not None else settings.get(db, key)
    check = settings.SETTINGS[key].check
    error = check(str(text)) if check else None
    if error:
        raise InvalidValue(
            M_("{key}: {error} (got {value})").format(key=key, error=error, value=repr(text))
        )
    return Fraction(str(text))


def _day_after(day: date) -> str:
    return (day + timedelta(days=1)).isoformat()


def window_start(window: str, as_of: date) -> str | None:
    """First day (ISO) counted by `window` ending on `as_of`; None for 'all'."""
    if window.strip().lower() == "all":
        return None
    settings.validate("tiers.window", window.strip(), what="the window")  # its range
    return _day_after(as_of - dates.parse_span(window))


def classify(
    db: Engine,
    *,
    rule: str | None = None,
    window: str | None = None,
    as_of: date,
    thresholds: dict[str, str] | None = None,
    now: str | None = None,
) -> Run:
    """Classify every active customer under `rule`; stores and returns the run.

    `thresholds` overrides the rule's settings (keys `a`, `b`, `top`, `rate`).
    Archived and forgotten customers are left out. Purchases dated after `as_of`
    are ignored, so a run can be repeated exactly.
    """
    rule = (rule or settings.get(db, "tiers.rule")).lower()
    if rule not in RULES:
        raise InvalidValue(
            M_("unknown rule {rule}; choose from {choices}").format(
                rule=repr(rule), choices=", ".join(RULES)
            )
        )
    given = thresholds or {}
    if rule == "growth":
        if window and window != "36m":
            raise UsageError(
                M_("the growth rule always looks at the last three years; drop --window")
            )
        window = "36m"
    window = (window or settings.get(db, "tiers.window")).strip().lower()
    start = window_start(window, as_of)  # validates the span
    end = _day_after(as_of)  # exclusive: a purchase stamped later on as_of still counts
    # Every assignment names a customer just read from `customers` and the run just
    # inserted, in the same transaction: checking both references for each of a
    # million rows is a fifth of a run (0.11 s of 0.5 s at 100k).
    with db.references_unchecked(), db.write():
        # The customers read below are those the assignments name: a delete, merge or
        # edit meanwhile waits for the run (or the run for it), as on SQLite.
        db.keeps_all("customers")
        db.execute("DROP TABLE IF EXISTS temp.tier_spend")
        if rule == "growth":
            params = _growth_params(db, given)
            _growth_spend(db, as_of, end)
        else:
            params = _pareto_params(db, given) if rule == "pareto" else _top_share_params(db, given)
            _window_spend(db, start, end)
        positive, net, spenders, total = db.execute(
            "SELECT coalesce(sum(max(spend, 0)), 0), coalesce(sum(spend), 0),"
            " count(*) FILTER (WHERE spend > 0), count(*) FROM temp.tier_spend"
        ).fetchone()
        run_id = db.insert(
            "tier_runs",
            {
                "rule": rule,
                "params": json.dumps({k: str(v) for k, v in params.items()}),
                "window": window,
                "as_of": as_of.isoformat(),
                "created_at": now or dates.now_utc(),
                "customers": total,
                "revenue_micros": net,
                "positive_micros": positive,
            },
        )
        if rule == "pareto":
            _assign_pareto(db, run_id, params, positive)
        elif rule == "top-share":
            _assign_top_share(db, run_id, params, spenders)
        else:
            _assign_growth(db, run_id, params, spenders)
        db.execute("DROP TABLE temp.tier_spend")
    return get_run(db, run_id)


def _pareto_params(db: Engine, given: dict[str, str]) -> dict[str, Fraction]:
    a = _percent(db, "tiers.pareto.a", given.get("a"))
    b = _percent(db, "tiers.pareto.b", given.get("b"))
    if not 0 < a <= b <= 100:
        raise InvalidValue(
            M_("pareto thresholds must satisfy 0 < A ({a}) ≤ B ({b}) ≤ 100").format(a=a, b=b)
        )
    return {"a": a, "b": b}


def _top_share_params(db: Engine, given: dict[str, str]) -> dict[str, Fraction]:
    a = _percent(db, "tiers.top_share.a", given.get("a"))
    b = _percent(db, "tiers.top_share.b", given.get("b"))
    if a + b > 100:
        raise InvalidValue(M_("top-share: A ({a} %) plus B ({b} %) exceeds 100 %").format(a=a, b=b))
    return {"a": a, "b": b}


def _growth_params(db: Engine, given: dict[str, str]) -> dict[str, Fraction]:
    return {
        "top": _percent(db, "tiers.growth.top", given.get("top")),
        "rate": _percent(db, "tiers.growth.rate", given.get("rate")),
    }


_ACTIVE = "c.archived_at IS NULL AND c.forgotten_at IS NULL"


def _spend(window: str) -> str:
    """A customer's net spend over `window` (SQL over `purchases p`), NULL with no line.

    Summed per customer, in customer order, from `purchases_customer_date` (customer,
    date, amount): a seek to the window's lines of each customer in an index that
    holds everything summed, never the table. Grouping the whole window instead,
    through the date index or the table, costs a sort or a hash of every line and then
    a lookup per customer (at 1M customers 1.5-3 s against 0.9-1.6 s).
    """
    return (
        "(SELECT sum(p.amount_micros) FROM purchases p INDEXED BY purchases_customer_date"
        f" WHERE p.customer_id = c.id AND {window})"
    )


def _window_spend(db: Engine, start: str | None, end: str) -> None:
    """temp.tier_spend: every active customer's net spend in the window, and whether
    they bought at all (`lines`: 0 or 1; the sum is NULL without a line)."""
    window = "p.date < :end" + (" AND p.date >= :start" if start else "")
    db.execute(
        f"""CREATE TEMP TABLE tier_spend AS
            SELECT customer_id, coalesce(spend, 0) AS spend,
                   CASE WHEN spend IS NULL THEN 0 ELSE 1 END AS lines
            FROM (SELECT c.id AS customer_id, {_spend(window)} AS spend
                  FROM customers c NOT INDEXED WHERE {_ACTIVE}) AS window_spend""",
        {"start": start, "end": end},
    )


def _growth_spend(db: Engine, as_of: date, end: str) -> None:
    """temp.tier_spend with the last three 12-month years: spend (y0), prev (y1), prev2 (y2);
    `lines` says whether they bought in the last 12 months."""
    y0, y1, y2 = (_day_after(as_of - relativedelta(years=n)) for n in (1, 2, 3))
    db.execute(
        f"""CREATE TEMP TABLE tier_spend AS
            SELECT customer_id, coalesce(spend, 0) AS spend,
                   CASE WHEN spend IS NULL THEN 0 ELSE 1 END AS lines,
                   coalesce(prev, 0) AS prev, coalesce(prev2, 0) AS prev2
            FROM (SELECT c.id AS customer_id,
                         {_spend("p.date >= :y0 AND p.date < :end")} AS spend,
                         {_spend("p.date >= :y1 AND p.date < :y0")} AS prev,
                         {_spend("p.date >= :y2 AND p.date < :y1")} AS prev2
                  FROM customers c NOT INDEXED WHERE {_ACTIVE}) AS window_spend""",
        {"y0": y0, "y1": y1, "y2": y2, "end": end},
    )


# Ranked spend: rank 1 is the biggest spender; ties go to the lower customer id.
# `above` is what the customers ranked above brought (refunds-only customers add 0);
# one window frame serves both columns, which SQLite then computes in a single pass.
_RANKED = """
SELECT customer_id, spend, lines, {extra}
       row_number() OVER w AS rank,
       sum(max(spend, 0)) OVER w - max(spend, 0) AS above
FROM temp.tier_spend
WINDOW w AS (ORDER BY spend DESC, customer_id ROWS UNBOUNDED PRECEDING)
"""

# Each customer's `step` is the first of the rule's conditions that holds, numbered as
# the reasons are: it gives both the tier ('CCABC') and the code of its reason.
_INSERT = """
INSERT INTO tier_assignments (run_id, customer_id, tier, spend_micros, rank, reason_code,
                              reason, above_micros)
SELECT :run, customer_id, substr('CCABC', step + 1, 1), spend, rank, {code}, {reason},
       above FROM (
    SELECT customer_id, spend, rank, above, {extra}
           CASE WHEN lines = 0 THEN {NO_LINES} WHEN spend <= 0 THEN {NO_NET_SPEND}
                WHEN {a} THEN {WHY_A} WHEN {b} THEN {WHY_B} ELSE {WHY_C} END AS step
    FROM ({ranked}) AS ranked
) AS assigned
ORDER BY customer_id
"""

# Why a customer got their tier. Most reasons are the same words for every customer of
# a run (their rank and spend are stored beside them), so a run keeps each once, in
# `tier_run_reasons`, and its rows point to it by number: written on each of a million
# rows, the words were over half of what a run wrote. A row keeps words of its own
# (`reason`, its code NULL) only where they are its own: growth's percentages. Runs
# made before m130 have their words on every row, and no code.
NO_LINES, NO_NET_SPEND, WHY_A, WHY_B, WHY_C = range(5)
_CODES = {
    "NO_LINES": NO_LINES,
    "NO_NET_SPEND": NO_NET_SPEND,
    "WHY_A": WHY_A,
    "WHY_B": WHY_B,
    "WHY_C": WHY_C,
}


def reason_of(alias: str) -> str:
    """SQL for the reason of the tier assignment row `alias`, wherever it is kept."""
    return (
        f"coalesce({alias}.reason, (SELECT w.reason FROM tier_run_reasons w"
        f" WHERE w.run_id = {alias}.run_id AND w.code = {alias}.reason_code))"
    )


def _assign(
    db: Engine,
    run_id: int,
    *,
    a: str,
    b: str,
    reasons: dict[int, str],
    params: dict[str, Any],
    extra: str = "",
    b_words: str | None = None,
) -> None:
    """Rank the run's spend, store each customer's tier and the run's reasons.

    `a` and `b` are the rule's SQL conditions for tiers A and B (B's asked of who is not
    A), each written once for both the tier and its reason; a buyer neither holds for is
    C. `b_words`: SQL for the words each B customer has of their own, kept on their row
    instead of a shared reason.
    """
    code, reason = "step", "NULL"
    if b_words is not None:
        code = f"nullif(step, {WHY_B})"
        reason = f"CASE WHEN step = {WHY_B} THEN {b_words} END"
    sql = _INSERT.format(
        ranked=_RANKED.format(extra=extra),
        extra=extra,
        a=a,
        b=b,
        code=code,
        reason=reason,
        **_CODES,
    )
    db.execute(sql, {"run": run_id, **params})
    db.executemany(
        "INSERT INTO tier_run_reasons (run_id, code, reason) VALUES (?, ?, ?)",
        [(run_id, code, reason) for code, reason in sorted(reasons.items())],
    )


def _label(value: Fraction) -> str:
    """A percentage as people write it: 80, 12.5."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text


def _share(value: Fraction) -> str:
    """`80 %`: a reason's share with its sign, one value of its message (a catalog's
    message cannot hold "% of": gettext reads it as a %-placeholder)."""
    return f"{_label(value)} %"


# Why a customer has their tier, per rule: stored in English (JSON and CSV read it) and said
# in the reader's language on a screen. Each is a core message (M_), registered when the
# module loads: a command that shows a stored reason finds its template again.
REASONS = {
    "pareto": {
        NO_LINES: M_("no purchases in the window"),
        WHY_A: M_("the customers ranked above hold less than {a} of revenue"),
        WHY_B: M_("the customers ranked above hold {a} of revenue or more, less than {b}"),
        WHY_C: M_("the customers ranked above hold {b} of revenue or more"),
    },
    "top-share": {
        NO_LINES: M_("no purchases in the window"),
        WHY_A: M_("in the top {a} of {n} spenders"),
        WHY_B: M_("in the next {b} of {n} spenders"),
        WHY_C: M_("below the top {ab} of {n} spenders"),
    },
    "growth": {
        NO_LINES: M_("no purchases in the last 12 months"),
        WHY_A: M_("in the top {top} of {n} spenders by the last 12 months' sales"),
        WHY_C: M_("not in the top {top} and no growth of {rate} two years running"),
    },
}
NO_SPEND = M_("returns outweigh purchases: no net spend")
# A growing B customer's own words, written in SQL by `_assign_growth` (each value "10.0 %").
GREW = M_("sales grew {first} and then {then} year on year")


def _reasons(rule: str, **shares: Fraction | int) -> dict[int, str]:
    """The rule's reasons with the run's figures: each share as `80 %`, a count as it is."""
    values = {k: _share(v) if isinstance(v, Fraction) else v for k, v in shares.items()}
    return {NO_NET_SPEND: NO_SPEND, **{c: t.format(**values) for c, t in REASONS[rule].items()}}


def _assign_pareto(db: Engine, run_id: int, p: dict[str, Fraction], positive: int) -> None:
    # above < positive × a/100 ⟺ above < ceil(positive × a/100), for an integer `above`.
    limit_a = math.ceil(positive * p["a"] / 100)
    limit_b = math.ceil(positive * p["b"] / 100)
    _assign(
        db,
        run_id,
        a="above < :limit_a",
        b="above < :limit_b",
        reasons=_reasons("pareto", a=p["a"], b=p["b"]),
        params={"limit_a": limit_a, "limit_b": limit_b},
    )


def _assign_top_share(db: Engine, run_id: int, p: dict[str, Fraction], spenders: int) -> None:
    # "Top 20 %" rounds up, so a shop with a few spenders still has an A customer.
    top_a = math.ceil(spenders * p["a"] / 100)
    top_b = math.ceil(spenders * (p["a"] + p["b"]) / 100)
    _assign(
        db,
        run_id,
        a="rank <= :top_a",
        b="rank <= :top_b",
        reasons=_reasons("top-share", a=p["a"], b=p["b"], ab=p["a"] + p["b"], n=spenders),
        params={"top_a": top_a, "top_b": top_b},
    )


def _assign_growth(db: Engine, run_id: int, p: dict[str, Fraction], spenders: int) -> None:
    top = math.ceil(spenders * p["top"] / 100)
    # Growth ≥ rate % as exact integers: y1 × 100 ≥ y2 × (100 + rate), both sides
    # multiplied by the rate's denominator (a rate of 12.5 % is 25/2).
    scale = 100 * p["rate"].denominator
    factor = int((100 + p["rate"]) * p["rate"].denominator)
    grew = "prev2 > 0 AND prev * :scale >= prev2 * :factor AND spend * :scale >= prev * :factor"
    first = db.fixed("(prev - prev2) * 100.0 / prev2", 1)
    then = db.fixed("(spend - prev) * 100.0 / prev", 1)
    _assign(
        db,
        run_id,
        extra="prev, prev2,",
        a="rank <= :top",
        b=grew,
        # B's words are each customer's own: its two years' growth (GREW, said in SQL).
        b_words=f"'sales grew ' || {first} || ' % and then ' || {then} || ' % year on year'",
        reasons=_reasons("growth", top=p["top"], rate=p["rate"], n=spenders),
        params={"top": top, "scale": scale, "factor": factor},
    )


# --- runs, reports, changes, history --------------------------------------------------


_PER_TIER = ", ".join(
    f"count(*) FILTER (WHERE tier = '{t}'), sum(spend_micros) FILTER (WHERE tier = '{t}')"
    for t in TIERS
)


def _run_from_row(db: Engine, row: Any) -> Run:
    # One pass over the run's rows gives both figures per tier (a second pass for the
    # summary cost 0.02-0.07 s of a classification at 100k customers), each tier
    # filtered in that pass: grouping by tier sorted the rows first (27 against 18 ms).
    figures = db.execute(f"SELECT {_PER_TIER} FROM tier_assignments WHERE run_id = ?", [row[0]])
    found = figures.fetchone()
    counts = dict(zip(TIERS, found[0::2], strict=True))
    revenue = {t: spend or 0 for t, spend in zip(TIERS, found[1::2], strict=True)}
    return Run(
        id=row[0],
        rule=row[1],
        params=json.loads(row[2]),
        window=row[3],
        as_of=row[4],
        created_at=row[5],
        customers=row[6],
        revenue_micros=row[7],
        counts=counts,
        tier_revenue_micros=revenue,
    )


# "window" quoted: a keyword on PostgreSQL.
_RUN_COLUMNS = 'id, rule, params, "window", as_of, created_at, customers, revenue_micros'


def get_run(db: Engine, run_id: int | None = None) -> Run:
    """The run `run_id`, or the current one (latest as-of day); NotFound when there is none."""
    if run_id is None:
        row = db.execute(
            f"SELECT {_RUN_COLUMNS} FROM tier_runs ORDER BY as_of DESC, id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise NotFound(M_("no classification yet; run `crmcli tiers classify` first"))
    else:
        row = db.execute(f"SELECT {_RUN_COLUMNS} FROM tier_runs WHERE id = ?", [run_id]).fetchone()
        if row is None:
            raise NotFound(M_("no classification run #{id}").format(id=run_id))
    return _run_from_row(db, row)


def runs(db: Engine) -> list[Run]:
    """Every run, the latest as-of day first."""
    rows = db.execute(
        f"SELECT {_RUN_COLUMNS} FROM tier_runs ORDER BY as_of DESC, id DESC"
    ).fetchall()
    return [_run_from_row(db, r) for r in rows]


class TierSummary(NamedTuple):
    """One tier of a run: how many customers, how much they brought."""

    tier: str
    customers: int
    revenue_micros: int
    run_revenue_micros: int

    @property
    def share(self) -> Fraction | None:
        """The tier's part of the run's net revenue (None when the run has none)."""
        if self.run_revenue_micros <= 0:
            return None
        return Fraction(self.revenue_micros, self.run_revenue_micros)

    @property
    def average_micros(self) -> int | None:
        return round(Fraction(self.revenue_micros, self.customers)) if self.customers else None


def empty_window(db: Engine, run: Run) -> str | None:
    """A warning when the run's window holds no purchase at all, naming the latest one.

    An old export classified as of today counts nothing and makes everyone C.
    """
    as_of = date.fromisoformat(run.as_of)
    start = window_start(run.window, as_of) or "0000-01-01"
    found = db.execute(
        "SELECT 1 FROM purchases WHERE date >= ? AND date < ? LIMIT 1",
        [start, _day_after(as_of)],
    ).fetchone()
    if found:
        return None
    latest = db.execute("SELECT max(date) FROM purchases").fetchone()[0]
    if latest is None:
        return "no purchases recorded yet: every customer is C"
    return (
        f"no purchases from {start} to {run.as_of} (window {run.window}); the latest purchase"
        f" is on {latest[:10]}: classify with --as-of {latest[:10]} or --window all"
    )


def summary(run: Run) -> list[TierSummary]:
    """Per tier of `run`: customers, revenue, share and average (exact sums in SQL)."""
    return [
        TierSummary(
            t, run.counts[t], run.tier_revenue_micros[t], run_revenue_micros=run.revenue_micros
        )
        for t in TIERS
    ]


class CurvePoint(NamedTuple):
    """A point of the Pareto curve: the top `customer_share` hold `revenue_share`."""

    customer_share: Fraction
    revenue_share: Fraction
    tier: str


def pareto_curve(db: Engine, run: Run, *, points: int = 50) -> list[CurvePoint]:
    """The cumulative revenue share at `points` evenly spaced customer shares."""
    n = run.customers
    if n == 0:
        return []
    wanted = [max(1, math.ceil(n * i / points)) for i in range(1, points + 1)]
    marks = ", ".join(str(r) for r in sorted(set(wanted)))
    found = {
        rank: (tier, Fraction(cum, total) if total else Fraction(0))
        for rank, tier, cum, total in db.execute(
            f"""SELECT rank, tier, cum, total FROM (
                    SELECT rank, tier,
                           sum(max(spend_micros, 0)) OVER (ORDER BY rank) AS cum,
                           sum(max(spend_micros, 0)) OVER () AS total
                    FROM tier_assignments WHERE run_id = ?) AS shares
                WHERE rank IN ({marks})""",
            [run.id],
        )
    }
    return [CurvePoint(Fraction(r, n), found[r][1], found[r][0]) for r in wanted]


class Move(NamedTuple):
    """A customer whose tier differs between two runs (None = not in that run)."""

    customer_id: int
    code: str | None
    name: str | None
    before: str | None
    after: str | None
    spend_before_micros: int | None
    spend_after_micros: int | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "left"
        return "demoted" if self.after > self.before else "promoted"


def resolve_since(db: Engine, since: str | None, *, newer: Run) -> Run:
    """The run to compare `newer` with: a run id, the last run as of a date, or the one before.

    "Before" is in as-of order (then by id): the runs are compared as the days they
    describe follow each other, whatever order they were made in.
    """
    if since is None:
        row = db.execute(
            "SELECT id FROM tier_runs WHERE as_of < :as_of OR (as_of = :as_of AND id < :id)"
            " ORDER BY as_of DESC, id DESC LIMIT 1",
            {"as_of": newer.as_of, "id": newer.id},
        ).fetchone()
        if row is None:
            raise NotFound(M_("only one classification so far; classify again to see who moved"))
        return get_run(db, row[0])
    text = since.strip().lstrip("#")
    if text.isdecimal():  # what int() reads (isdigit would take '²')
        return get_run(db, int(text))
    day = dates.iso_date(text, what="--since")
    row = db.execute(
        "SELECT id FROM tier_runs WHERE as_of <= :day AND id != :id"
        " AND (as_of < :as_of OR (as_of = :as_of AND id < :id))"
        " ORDER BY as_of DESC, id DESC LIMIT 1",
        {"day": day.isoformat(), "as_of": newer.as_of, "id": newer.id},
    ).fetchone()
    if row is None:
        raise NotFound(M_("no classification as of {day} or earlier").format(day=day.isoformat()))
    return get_run(db, row[0])


def changes(db: Engine, *, older: Run, newer: Run) -> Iterator[Move]:
    """Who moved between two runs: A demotions first, then B demotions, promotions, new, gone."""
    cursor = db.execute(
        """WITH moves AS (
               SELECT n.customer_id, o.tier AS before, n.tier AS after,
                      o.spend_micros AS spend_before, n.spend_micros AS spend_after
               FROM tier_assignments n
               LEFT JOIN tier_assignments o ON o.run_id = :old AND o.customer_id = n.customer_id
               WHERE n.run_id = :new AND (o.tier IS NULL OR o.tier != n.tier)
               UNION ALL
               SELECT o.customer_id, o.tier, NULL, o.spend_micros, NULL
               FROM tier_assignments o
               WHERE o.run_id = :old AND NOT EXISTS
                     (SELECT 1 FROM tier_assignments n
                      WHERE n.run_id = :new AND n.customer_id = o.customer_id))
           SELECT m.customer_id, c.code, c.name, m.before, m.after, m.spend_before, m.spend_after
           FROM moves m JOIN customers c ON c.id = m.customer_id
           ORDER BY CASE WHEN m.before IS NULL THEN 4
                         WHEN m.after IS NULL THEN 5
                         WHEN m.after < m.before THEN 3
                         WHEN m.before = 'A' THEN 1
                         ELSE 2 END,
                    m.spend_before DESC, m.spend_after DESC, m.customer_id""",
        {"old": older.id, "new": newer.id},
    )
    for row in cursor:
        yield Move(*row)


def history(db: Engine, customer_id: int) -> list[dict[str, Any]]:
    """Every run that classified the customer, the latest as-of day first."""
    cursor = db.execute(
        f"""SELECT r.id AS run, r.as_of, r.rule, r.window, a.tier, a.rank,
                  r.customers AS of, a.spend_micros, {reason_of("a")} AS reason
           FROM tier_assignments a JOIN tier_runs r ON r.id = a.run_id
           WHERE a.customer_id = ? ORDER BY r.as_of DESC, r.id DESC""",
        [customer_id],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def share_above(db: Engine, run_id: int, customer_id: int) -> Fraction | None:
    """The part of a run's revenue held by the customers ranked above this one (pareto's
    measure); None when the run shared out no revenue or did not classify them.

    Classification stores both sums (m122); they are summed here only for a run stored
    some other way, so one customer's share never reads the whole run.
    """
    row = db.execute(
        """SELECT coalesce(a.above_micros,
                           (SELECT coalesce(sum(max(x.spend_micros, 0)), 0)
                            FROM tier_assignments x
                            WHERE x.run_id = a.run_id AND x.rank < a.rank)),
                  coalesce(r.positive_micros,
                           (SELECT sum(max(x.spend_micros, 0)) FROM tier_assignments x
                            WHERE x.run_id = a.run_id))
           FROM tier_assignments a JOIN tier_runs r ON r.id = a.run_id
           WHERE a.run_id = ? AND a.customer_id = ?""",
        [run_id, customer_id],
    ).fetchone()
    if row is None or not row[1]:
        return None
    return Fraction(row[0], row[1])


# --- manual override -------------------------------------------------------------------


def set_override(db: Engine, customer_id: int, *, tier: str, reason: str) -> None:
    """Fix a customer's tier by hand; it wins over every run until cleared."""
    tier = tier.strip().upper()
    if tier not in TIERS:
        raise InvalidValue(M_("a tier is A, B or C, not {tier}").format(tier=repr(tier)))
    if not reason or not reason.strip():
        raise InvalidValue(M_("say why with --reason: the override outlives every classification"))
    with db.write():
        cur = db.execute(
            "UPDATE customers SET tier_override = ?, tier_override_reason = ?,"
            " tier_override_at = ?, updated_at = ? WHERE id = ?",
            [tier, reason.strip(), dates.now_utc(), dates.now_utc(), customer_id],
        )
        if cur.rowcount == 0:
            raise NotFound(M_("no customer #{id}").format(id=customer_id))


def clear_override(db: Engine, customer_id: int) -> bool:
    """Remove a manual tier; returns whether there was one."""
    with db.write():
        row = db.execute(
            f"SELECT tier_override FROM customers WHERE id = ?{db.locks_rows}", [customer_id]
        ).fetchone()
        if row is None:
            raise NotFound(M_("no customer #{id}").format(id=customer_id))
        db.execute(
            "UPDATE customers SET tier_override = NULL, tier_override_reason = NULL,"
            " tier_override_at = NULL, updated_at = ? WHERE id = ?",
            [dates.now_utc(), customer_id],
        )
    return row[0] is not None
