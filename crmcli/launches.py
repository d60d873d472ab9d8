"""Item launches and early adopters (seed 003: loyal customers include early adopters).

An item's *launch* is the day the owner set (`items launch NAME --on DATE`), else its
first sale. A first sale within `attitude.early_days` of the first purchase on record
is no launch: the item was probably on sale before the records begin (an import
of last year's sales would otherwise make every early customer an early adopter).

A customer who bought an item (a line with a positive amount) from its launch day
to `attitude.early_days` after it (both included) bought it *early*; one who did so for at least
`attitude.early_launches` items (default 2) is an *early adopter* — the first
people to tell about the next one. Everything is as of a day: launches and lines
after it are not known yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from crmcli import dates, settings, text
from crmcli.customer_fields import tier_of
from crmcli.engines import like_pattern
from crmcli.errors import InvalidValue
from crmcli.i18n import M_

if TYPE_CHECKING:
    from collections.abc import Collection

    from crmcli.engines import Engine

# Lines the partial index `purchases_item_launch` holds: every query here says so in
# full, or SQLite cannot use it.
_SOLD = "amount_micros > 0 AND item IS NOT NULL"
_P_SOLD = "p.amount_micros > 0 AND p.item IS NOT NULL"

# {first_sale}: (item, first) rows — every item's first sale, or only some items'.
# `launch`: each item's launch day and where it comes from; `early`: the launches
# that count, with the day their early weeks end (exclusive).
_LAUNCH_CTE = """
first_sale AS MATERIALIZED ({first_sale}),
launch AS (
    SELECT f.item, f.first,
           coalesce(l.launched_on, substr(f.first, 1, 10)) AS launched_on,
           CASE WHEN l.launched_on IS NOT NULL THEN 'set'
                WHEN f.first < :settled THEN 'before records'
                ELSE 'first sale' END AS source
    FROM first_sale f LEFT JOIN item_launches l ON l.item = f.item
    UNION ALL
    SELECT l.item, NULL, l.launched_on, 'set' FROM item_launches l
    WHERE l.launched_on < :end AND NOT EXISTS (
        SELECT 1 FROM purchases p INDEXED BY purchases_item_launch
        WHERE p.item = l.item AND p.amount_micros > 0 AND p.item IS NOT NULL
          AND p.date < :end)),
early AS (
    SELECT item, launched_on, date(launched_on, '+' || (:days + 1) || ' days') AS until
    FROM launch WHERE source != 'before records' AND launched_on < :end)
"""

_ALL_FIRST_SALES = f"""
    SELECT item, min(date) AS first FROM purchases INDEXED BY purchases_item_launch
    WHERE {_SOLD} AND date < :end GROUP BY item"""

# One customer's items only: each first sale is one seek in the index (min of a prefix).
# Their items are walked in the customer-and-item index, one seek to the next item
# sold to them: the biggest buyer's 240,000 lines hold 1,800 items (84 ms at 1M to
# read every line for them).
_THEIR_ITEMS = f"""their_items(item) AS (
    SELECT (SELECT min(item) FROM purchases
            WHERE customer_id = :id AND {_SOLD} AND date < :end)
    UNION ALL
    SELECT (SELECT min(p.item) FROM purchases p
            WHERE p.customer_id = :id AND {_P_SOLD} AND p.date < :end AND p.item > t.item)
    FROM their_items t WHERE t.item IS NOT NULL),"""

_THEIR_FIRST_SALES = f"""
    SELECT mine.item, (SELECT min(p.date) FROM purchases p INDEXED BY purchases_item_launch
                       WHERE p.item = mine.item AND {_P_SOLD}
                         AND p.date < :end) AS first
    FROM their_items mine WHERE mine.item IS NOT NULL"""

# One customer's items as the caller already read them (the page's one pass over their
# lines, `buying.bought`), {items} a subquery of their names: each first sale is one
# seek, and their lines are not walked a second time. An item they only returned, or
# bought after :end, changes nothing: its early buys are looked for in positive lines
# before :end, as every customer's are.
_GIVEN_FIRST_SALES = f"""
    SELECT given.value AS item,
           (SELECT min(p.date) FROM purchases p INDEXED BY purchases_item_launch
            WHERE p.item = given.value AND {_P_SOLD} AND p.date < :end) AS first
    FROM ({{items}}) AS given"""

# The lines bought in a launch's early weeks, per customer: the index's ranges only.
_EARLY_BUYS = (
    """
    SELECT p.customer_id, count(DISTINCT p.item) AS launches,
           {items} AS items
    FROM early e CROSS JOIN purchases p INDEXED BY purchases_item_launch
      ON p.item = e.item AND """
    + _P_SOLD
    + """
     AND p.date >= e.launched_on AND p.date < e.until AND p.date < :end
    {where}
    GROUP BY p.customer_id"""
)


# One customer's early buys: a look into each launch's early weeks for a line of theirs
# (one range of the index per launch). A correlated EXISTS, not `_EARLY_BUYS`' join:
# SQLite cannot turn it into a join, so it never puts a Bloom filter in front, built by
# reading every line of the shop — what ANALYZE's statistics led it to for the join
# (100,000 lines read for one customer's page at 10k: 434k virtual-machine steps, 98k
# this way).
_THEIR_EARLY_BUYS = f"""
    SELECT {{items}} FROM early e
    WHERE EXISTS (SELECT 1 FROM purchases p INDEXED BY purchases_item_launch
                  WHERE p.item = e.item AND {_P_SOLD} AND p.date >= e.launched_on
                    AND p.date < e.until AND p.date < :end AND p.customer_id = :id)"""


def early_buys(db: Engine, where: str = "") -> str:
    """`_EARLY_BUYS` with this engine's JSON aggregate (and a WHERE on the lines)."""
    return _EARLY_BUYS.format(where=where, items=db.json_list("DISTINCT p.item"))


def params(db: Engine, *, as_of: date) -> dict[str, Any]:
    """The parameters every launch query takes, as of a day."""
    days = settings.get_int(db, "attitude.early_days")
    start = db.execute("SELECT min(date) FROM purchases").fetchone()[0]
    settled = (date.fromisoformat(start[:10]) + timedelta(days=days)).isoformat() if start else ""
    return {
        "end": (as_of + timedelta(days=1)).isoformat(),
        "days": days,
        "settled": settled,
        "least": settings.get_int(db, "attitude.early_launches"),
    }


def early_cte(*, customer: bool = False, given: str | None = None) -> str:
    """`WITH first_sale, launch, early` for all items, or (`customer`) the items of :id
    found in their lines, or the items of the subquery `given`."""
    if given is not None:
        return "WITH " + _LAUNCH_CTE.format(first_sale=_GIVEN_FIRST_SALES.format(items=given))
    if customer:
        return "WITH RECURSIVE " + _THEIR_ITEMS + _LAUNCH_CTE.format(first_sale=_THEIR_FIRST_SALES)
    return "WITH " + _LAUNCH_CTE.format(first_sale=_ALL_FIRST_SALES)


ITEM_FIELDS = ("item", "launched_on", "source", "first_sale", "early_until", "early_buyers")


def items(db: Engine, *, as_of: date) -> Iterator[dict[str, Any]]:
    """Every item sold (or with a launch set) by `as_of`: launch, where from, early buyers."""
    sql = f"""{early_cte()},
        per_item AS (
            SELECT p.item, count(DISTINCT p.customer_id) AS n
            FROM early e CROSS JOIN purchases p INDEXED BY purchases_item_launch
              ON p.item = e.item AND {_P_SOLD}
             AND p.date >= e.launched_on AND p.date < e.until AND p.date < :end
            GROUP BY p.item)
        SELECT l.item, l.launched_on, l.source, substr(l.first, 1, 10),
               e.until, coalesce(n.n, 0)
        FROM launch l LEFT JOIN early e ON e.item = l.item
             LEFT JOIN per_item n ON n.item = l.item
        ORDER BY l.launched_on DESC, l.item"""
    for row in db.execute(sql, params(db, as_of=as_of)):
        out = dict(zip(ITEM_FIELDS, row, strict=True))
        if out["early_until"]:  # shown as the last day of the early weeks, inclusive
            last = date.fromisoformat(out["early_until"]) - timedelta(days=1)
            out["early_until"] = last.isoformat()
        else:
            out["early_buyers"] = None
        yield out


def early_items(
    db: Engine, customer_id: int, *, as_of: date, items: Collection[str] | None = None
) -> list[str]:
    """The launched items this customer bought early, as of a day (sorted).

    `items`: every item on the customer's lines, when the caller has read them already
    (`buying.bought`); else they are found in the customer's lines here.
    """
    given: dict[str, Any] = {}
    if items is None:
        cte = early_cte(customer=True)
    else:
        cte = early_cte(given=db.json_values(":items", integers=False))
        given["items"] = json.dumps(sorted(items))
    sql = f"{cte} {_THEIR_EARLY_BUYS.format(items=db.json_list('DISTINCT e.item'))}"
    row = db.execute(sql, {**params(db, as_of=as_of), "id": customer_id, **given}).fetchone()
    return sorted(json.loads(row[0]))


ADOPTER_FIELDS = ("id", "code", "name", "phone", "email", "tier", "launches", "items")
ADOPTER_DEFAULT = ("code", "name", "phone", "email", "tier", "launches", "items")


def early_adopters(
    db: Engine, *, as_of: date, include_do_not_contact: bool = False
) -> Iterator[dict[str, Any]]:
    """Customers who bought at least `attitude.early_launches` launches early, most first."""
    where = "c.archived_at IS NULL AND c.forgotten_at IS NULL"
    if not include_do_not_contact:
        where += " AND c.do_not_contact = 0"
    sql = f"""{early_cte()}, adopters AS ({early_buys(db)})
        SELECT c.id, c.code, c.name,
               (SELECT raw FROM customer_phones ph WHERE ph.customer_id = c.id
                ORDER BY position LIMIT 1) AS phone,
               c.email, {tier_of("c")} AS tier, a.launches, a.items
        FROM adopters a JOIN customers c ON c.id = a.customer_id
        WHERE a.launches >= :least AND {where}
        ORDER BY a.launches DESC, c.id"""
    for row in db.execute(sql, params(db, as_of=as_of)):
        out = dict(zip(ADOPTER_FIELDS, row, strict=True))
        out["items"] = sorted(json.loads(out["items"]))
        yield out


def set_launch(db: Engine, *, item: str, on: date) -> int:
    """Set an item's launch day; returns how many lines name the item (0: not sold yet)."""
    item = _item(item)
    with db.write():
        db.execute(
            "INSERT INTO item_launches (item, launched_on, set_at) VALUES (?, ?, ?)"
            " ON CONFLICT(item) DO UPDATE SET launched_on = excluded.launched_on,"
            " set_at = excluded.set_at",
            [item, on.isoformat(), dates.now_utc()],
        )
    return int(db.execute("SELECT count(*) FROM purchases WHERE item = ?", [item]).fetchone()[0])


def clear_launch(db: Engine, *, item: str) -> bool:
    """Forget the launch day set for an item (its first sale counts again)."""
    item = _item(item)
    with db.write():
        return db.execute("DELETE FROM item_launches WHERE item = ?", [item]).rowcount > 0


def similar(db: Engine, item: str, *, limit: int = 5) -> list[str]:
    """Items sold whose name holds `item` (A-Z in any case, as `db.like`), for a hint."""
    rows = db.execute(
        f"SELECT DISTINCT item FROM purchases WHERE {db.like('item', '?')} ORDER BY item LIMIT ?",
        [like_pattern(item), limit],
    )
    return [r[0] for r in rows]


def _item(item: str) -> str:
    item = text.check(item.strip(), field="an item", indexed=True)
    if not item:
        raise InvalidValue(M_("name the item, as on its purchase lines"))
    return item
