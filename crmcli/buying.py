"""What customers buy and how often: top items, who bought what, rhythm and attitude.

A customer's *rhythm* is read from the days they bought something (lines with a
positive amount, up to `as_of`): how many such days, the first and the last, and
their usual interval — the mean gap between purchase days.

The suggested *attitude* (seed 003) follows from the rhythm:
- `no-loyalty`: bought on one day only;
- `loyal`: bought on at least `attitude.loyal_visits` days and is not overdue
  (days since the last purchase ≤ `tiers.at_risk.k` × the usual interval);
- `brand-switching`: came back, but irregularly or not lately — buying elsewhere
  in between;
- but `loyal` for an *early adopter* (bought `attitude.early_launches` launched items
  within `attitude.early_days` of their launch; see `crmcli.launches`): seed 003
  counts them among the loyal, however rarely they come.
The owner's own value (`customers.attitude`) always wins; the suggestion is a hint.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import launches, settings
from crmcli.customer_fields import tier_of
from crmcli.errors import InvalidValue, UsageError
from crmcli.i18n import M_, said
from crmcli.tiers import TIERS, all_benefits

if TYPE_CHECKING:
    from collections.abc import Collection

    from crmcli.engines import Engine

# Per customer, from lines with a positive amount up to :end (exclusive). {source} is
# `purchases` for one customer (the index finds their lines) and `purchases NOT INDEXED`
# for many: one pass through the table beats a random read per line (2 s against 7 s
# over a million lines).
RHYTHM_SQL = """
SELECT customer_id,
       count(DISTINCT substr(date, 1, 10)) AS visits,
       min(substr(date, 1, 10)) AS first,
       max(substr(date, 1, 10)) AS last,
       CAST(julianday(:as_of) - julianday(max(substr(date, 1, 10))) AS INTEGER) AS days_since,
       CASE WHEN count(DISTINCT substr(date, 1, 10)) > 1
            THEN (julianday(max(substr(date, 1, 10))) - julianday(min(substr(date, 1, 10))))
                 / (count(DISTINCT substr(date, 1, 10)) - 1) END AS interval
FROM {source}
WHERE amount_micros > 0 AND date < :end {where}
GROUP BY customer_id
"""

_ALL_RHYTHMS = RHYTHM_SQL.format(source="purchases NOT INDEXED", where="")

_SUGGEST = """
CASE WHEN r.visits IS NULL THEN NULL
     WHEN coalesce(e.launches, 0) >= :least THEN 'loyal'
     WHEN r.visits = 1 THEN 'no-loyalty'
     WHEN r.visits >= :loyal_visits AND r.days_since <= :k * r.interval THEN 'loyal'
     ELSE 'brand-switching' END
"""


def k_factor(db: Engine) -> float:
    """`tiers.at_risk.k`: how many usual intervals may pass before someone is overdue."""
    return float(Decimal(settings.get(db, "tiers.at_risk.k")))


def _bounds(as_of: date) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(), "end": (as_of + timedelta(days=1)).isoformat()}


def _days(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 1)))


class Attitude(NamedTuple):
    """An attitude suggested from buying behaviour, and the numbers behind it."""

    suggested: str | None
    visits: int
    last: str | None
    days_since: int | None
    interval_days: Decimal | None
    early: tuple[str, ...] = ()  # launched items bought in their early weeks
    early_adopter: bool = False

    @property
    def why(self) -> str:
        # English (the page's JSON keeps it), each sentence `said`: a screen says it in
        # the reader's language.
        if self.suggested is None:
            return said("no purchases yet")
        if self.visits == 1:
            rhythm = said("bought on one day only ({day})", day=self.last)
        else:
            rhythm = said(
                "bought on {visits} days, about every {interval} days; last {since} days ago",
                visits=self.visits,
                interval=self.interval_days,
                since=self.days_since,
            )
        if not self.early_adopter:
            return rhythm
        named = ", ".join(self.early[:5]) + (" …" if len(self.early) > 5 else "")
        return said(
            "{rhythm}; early adopter: bought {items} soon after launch", rhythm=rhythm, items=named
        )


# One customer's buying days, each once, walked day by day in the customer-and-date
# index: each step is one seek to the first positive line after the day before, so the
# rhythm costs a seek per day, not a read per line (the biggest buyer has 240,000 lines
# on 1,100 days: 90 ms of a page at 1M). The next day is taken from the date's first
# ten characters, so a time or an offset after it never brings the walk back a day.
_THEIR_DAYS = """their_days(day) AS (
    SELECT (SELECT min(date) FROM purchases
            WHERE customer_id = :id AND amount_micros > 0 AND date < :end)
    UNION ALL
    SELECT (SELECT min(p.date) FROM purchases p
            WHERE p.customer_id = :id AND p.amount_micros > 0 AND p.date < :end
              AND p.date >= date(substr(d.day, 1, 10), '+1 days'))
    FROM their_days d WHERE d.day IS NOT NULL)"""

# The walk's days as RHYTHM_SQL's lines: every row stands for a positive line.
_THEIR_LINES = """(SELECT :id AS customer_id, day AS date, 1 AS amount_micros
                   FROM their_days WHERE day IS NOT NULL) AS their_lines"""


def suggest_attitude(
    db: Engine, customer_id: int, *, as_of: date, items: Collection[str] | None = None
) -> Attitude:
    """The attitude one customer's buying suggests (see the module's docstring).

    `items`: every item on their lines, when the caller has them (`Bought.items`).
    """
    early = tuple(launches.early_items(db, customer_id, as_of=as_of, items=items))
    row = db.execute(
        f"""WITH RECURSIVE {_THEIR_DAYS}
            SELECT {_SUGGEST}, r.visits, r.last, r.days_since, r.interval
            FROM ({RHYTHM_SQL.format(source=_THEIR_LINES, where="")}) r,
                 (SELECT :early AS launches) e""",
        {**_bounds(as_of), "id": customer_id, **_attitude_params(db), "early": len(early)},
    ).fetchone()
    if row is None:
        return Attitude(None, 0, None, None, None)
    adopter = len(early) >= settings.get_int(db, "attitude.early_launches")
    return Attitude(row[0], row[1], row[2], row[3], _days(row[4]), early, adopter)


def _attitude_params(db: Engine) -> dict[str, Any]:
    return {
        "k": k_factor(db),
        "loyal_visits": settings.get_int(db, "attitude.loyal_visits"),
        "least": settings.get_int(db, "attitude.early_launches"),
    }


ATTITUDE_FIELDS = (
    "id",
    "code",
    "name",
    "attitude",
    "suggested",
    "visits",
    "last",
    "days_since",
    "interval_days",
    "early_launches",
)


def attitudes(db: Engine, *, as_of: date, differs: bool = False) -> Iterator[dict[str, Any]]:
    """Every active customer with the attitude set by the owner and the suggested one."""
    where = "WHERE c.archived_at IS NULL AND c.forgotten_at IS NULL"
    if differs:
        where += f" AND coalesce(c.attitude, '') != coalesce({_SUGGEST}, '')"

    cursor = db.execute(
        f"""{launches.early_cte()}, adopters AS ({launches.early_buys(db)})
            SELECT c.id, c.code, c.name, c.attitude, {_SUGGEST} AS suggested,
                   coalesce(r.visits, 0), r.last, r.days_since, r.interval,
                   coalesce(e.launches, 0)
            FROM customers c LEFT JOIN ({_ALL_RHYTHMS}) r
              ON r.customer_id = c.id
            LEFT JOIN adopters e ON e.customer_id = c.id
            {where} ORDER BY c.id""",
        {**launches.params(db, as_of=as_of), **_bounds(as_of), **_attitude_params(db)},
    )
    for row in cursor:
        out = dict(zip(ATTITUDE_FIELDS, row, strict=True))
        out["interval_days"] = _days(out["interval_days"])
        yield out


class Bought(NamedTuple):
    """What one customer bought: lines, net total, first and last day, and their most
    bought items and categories (`top["item"]`, `top["category"]`)."""

    lines: int
    total_micros: int
    first: str | None
    last: str | None
    top: dict[str, list[dict[str, Any]]]
    # every item on their lines (returns too): the early-buys look-up needs no other pass
    items: frozenset[str] = frozenset()


def bought(db: Engine, customer_id: int, *, limit: int = 5) -> Bought:
    """A customer's purchases summed up; the top `limit` items and categories by net
    spend (positive only), then lines, then name, each with its lines and spend.

    One pass over the customer-and-item index gives every (item, category) pair
    already grouped; everything else is summed from those pairs here, so even the
    biggest buyer's lines are neither sorted nor read twice. The first and last
    days are the two ends of the customer-and-date index.
    """
    pairs = db.execute(
        "SELECT item, category, count(*), sum(amount_micros) FROM purchases"
        " WHERE customer_id = ? GROUP BY item, category",
        [customer_id],
    ).fetchall()
    first, last = db.execute(
        "SELECT (SELECT min(date) FROM purchases WHERE customer_id = :id),"
        " (SELECT max(date) FROM purchases WHERE customer_id = :id)",
        {"id": customer_id},
    ).fetchone()
    top: dict[str, list[dict[str, Any]]] = {}
    for position, by in enumerate(("item", "category")):
        lines: dict[str, int] = {}
        spent: dict[str, int] = {}
        for row in pairs:
            name = row[position]
            if not name:  # no item or category named
                continue
            if name in spent:
                lines[name] += row[2]
                spent[name] += row[3]
            else:
                lines[name] = row[2]
                spent[name] = row[3]
        # The first `limit` by spend, then lines, then name: no sort of every item.
        best = heapq.nsmallest(limit, ((-s, -lines[n], n) for n, s in spent.items() if s > 0))
        top[by] = [{"name": n, "lines": -n_lines, "spent_micros": -s} for s, n_lines, n in best]
    return Bought(
        lines=sum(r[2] for r in pairs),
        total_micros=sum(r[3] for r in pairs),
        first=first,
        last=last,
        top=top,
        items=frozenset(r[0] for r in pairs if r[0] is not None),
    )


WHO_BOUGHT_FIELDS = (
    "id",
    "code",
    "name",
    "phone",
    "email",
    "tier",
    "lines",
    "spent",
    "last",
    "items",
    "benefit",
    "discount_pct",
)
WHO_BOUGHT_DEFAULT = ("code", "name", "phone", "email", "tier", "spent", "last")
# …and `benefit` after `tier` once some tier has one: the offer list says what each gets.
WHO_BOUGHT_WITH_BENEFIT = ("code", "name", "phone", "email", "tier", "benefit", "spent", "last")


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def who_bought(
    db: Engine,
    *,
    item: str | None = None,
    category: str | None = None,
    since: date | None = None,
    tiers: tuple[str, ...] = (),
    include_do_not_contact: bool = False,
    early: bool = False,
    as_of: date | None = None,
) -> Iterator[dict[str, Any]]:
    """Customers who bought an item or category (any part of its name), biggest spenders first.

    Net of returns: someone who returned all of it did not buy it. Archived customers,
    and unless asked those marked do-not-contact, are left out — this list is for offers.
    `early`: only lines bought in a launch's early days (`crmcli.launches`); `as_of`:
    only lines (and launches) up to that day.
    """
    if (item is None) == (category is None):
        raise UsageError(M_("give either --item or --category"))
    text = item if item is not None else category
    if not text or not text.strip():
        raise InvalidValue(M_("say what was bought"))
    column = "item" if item is not None else "category"
    wanted = tuple(t.strip().upper() for t in tiers)
    bad = [t for t in wanted if t not in TIERS]
    if bad:
        raise InvalidValue(M_("a tier is A, B or C, not {tier}").format(tier=", ".join(bad)))
    where = [
        db.like(f"p.{column}", ":text"),
        "c.archived_at IS NULL",
        "c.forgotten_at IS NULL",
    ]
    params: dict[str, Any] = {"text": _like(text)}
    if since is not None:
        where.append("p.date >= :since")
        params["since"] = since.isoformat()
    if as_of is not None:
        where.append("p.date < :end")
        params["end"] = (as_of + timedelta(days=1)).isoformat()
    cte, early_join = "", ""
    if early:
        # The early lines are those of the launches' early days: each line's item is
        # looked up among the launches (one pass over the lines, as without --early).
        cte = launches.early_cte() + " "
        early_join = (
            "JOIN early e ON e.item = p.item AND p.date >= e.launched_on AND p.date < e.until"
        )
        if as_of is None:
            raise UsageError(M_("early buyers are counted as of a day: give as_of"))
        params.update(launches.params(db, as_of=as_of))
    if not include_do_not_contact:
        where.append("c.do_not_contact = 0")
    tier_filter = ""
    if wanted:
        marks = ", ".join(f":t{i}" for i in range(len(wanted)))
        tier_filter = f"WHERE tier IN ({marks})"
        params.update({f"t{i}": t for i, t in enumerate(wanted)})
    cursor = db.execute(
        # Lines first (one pass; the item is matched inside names, so no index helps),
        # then the customer and their tier for each group: CROSS JOIN keeps that order.
        f"""{cte}SELECT * FROM (
                SELECT c.id, c.code, c.name,
                       (SELECT raw FROM customer_phones ph WHERE ph.customer_id = c.id
                        ORDER BY position LIMIT 1) AS phone,
                       c.email, {tier_of("c")} AS tier, count(*) AS lines,
                       sum(p.amount_micros) AS spent_micros, max(p.date) AS last,
                       {db.json_list(f"DISTINCT p.{column}")} AS items
                FROM purchases p NOT INDEXED {early_join}
                CROSS JOIN customers c ON c.id = p.customer_id
                WHERE {" AND ".join(where)}
                GROUP BY c.id HAVING sum(p.amount_micros) > 0) AS buyers
            {tier_filter}
            ORDER BY spent_micros DESC, id""",
        params,
    )
    columns = [d[0] for d in cursor.description]
    offers = all_benefits(db)
    for row in cursor:
        out = dict(zip(columns, row, strict=True))
        offer = offers.get(out["tier"])
        out["benefit"] = offer.text if offer else None
        out["discount_pct"] = offer.discount_pct if offer else None
        # A list, not text joined by commas: an item's own comma ("Beans, dark roast")
        # would split it in two.
        # Sorted here: the engines' DISTINCT aggregates give them in different orders.
        out["items"] = sorted(x for x in json.loads(out["items"] or "[]") if x is not None)
        yield out


# --- who needs attention -------------------------------------------------------------

AT_RISK_FIELDS = (
    "id",
    "code",
    "name",
    "tier",
    "phone",
    "visits",
    "last",
    "days_since",
    "interval_days",
    "ratio",
)
AT_RISK_DEFAULT = ("code", "name", "tier", "last", "days_since", "interval_days", "ratio")


def at_risk(db: Engine, *, as_of: date, k: float | None = None) -> Iterator[dict[str, Any]]:
    """A and B customers overdue: days since their last purchase > k × their usual interval.

    The usual interval needs two purchase days at least; most overdue first, A before B.
    """
    if k is not None:  # the option has the setting's range
        settings.validate("tiers.at_risk.k", str(k), what="--k")
    factor = k_factor(db) if k is None else k
    rhythm = RHYTHM_SQL.format(
        source="purchases NOT INDEXED",
        where="AND customer_id IN (SELECT customer_id FROM wanted)",
    )
    cursor = db.execute(
        f"""WITH wanted AS MATERIALIZED (
                SELECT customer_id, tier FROM (
                    SELECT c.id AS customer_id, {tier_of("c")} AS tier FROM customers c
                    WHERE c.archived_at IS NULL AND c.forgotten_at IS NULL) AS tiered
                WHERE tier IN ('A', 'B'))
            SELECT c.id, c.code, c.name, w.tier,
                   (SELECT raw FROM customer_phones ph WHERE ph.customer_id = c.id
                    ORDER BY position LIMIT 1) AS phone,
                   r.visits, r.last, r.days_since, r.interval, r.days_since / r.interval
            FROM ({rhythm}) r
            JOIN wanted w ON w.customer_id = r.customer_id
            JOIN customers c ON c.id = r.customer_id
            WHERE r.visits >= 2 AND r.days_since > :k * r.interval
            ORDER BY w.tier, r.days_since / r.interval DESC, c.id""",
        {**_bounds(as_of), "k": factor},
    )
    for row in cursor:
        out = dict(zip(AT_RISK_FIELDS, row, strict=True))
        out["interval_days"] = Decimal(str(round(out["interval_days"], 1)))
        out["ratio"] = Decimal(str(round(out["ratio"], 2)))
        yield out
