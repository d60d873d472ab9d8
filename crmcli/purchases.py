"""Purchases: what each customer bought, when, for how much (exact, in micro-units).

A line with no customer (`customer_id` NULL) is an anonymous sale: listed, exported and
summed like any other, and part of no customer's history, tier or list.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crmcli import dates, money, text
from crmcli.errors import Named, NotFound
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

# A purchase line's fields, as the interface names them (for --map and --fields).
FIELDS = (
    "customer",
    "customer_name",
    "order_id",
    "line_id",
    "date",
    "amount",
    "quantity",
    "unit_price",
    "item",
    "category",
    "delivery_date",
    "note",
)
LIST_FIELDS = ("id", *FIELDS)
DEFAULT_LIST_FIELDS = ("id", "customer", "customer_name", "date", "amount", "item", "order_id")


def add(
    db: Engine,
    *,
    customer_id: int,
    amount_micros: int,
    on: date,
    item: str | None = None,
    category: str | None = None,
    quantity: int | float | str | None = None,
    unit_price_micros: int | None = None,
    order_id: str | None = None,
    delivery_date: date | None = None,
    note: str | None = None,
) -> int:
    """Record one purchase line; a negative amount is a return. Returns its id."""
    money.check_amount(amount_micros)
    if unit_price_micros is not None:
        money.check_amount(unit_price_micros)
    if isinstance(quantity, str):
        quantity = money.parse_quantity(quantity)
    if isinstance(quantity, Decimal):
        quantity = float(quantity)  # stored NUMERIC, as the import stores it
    dates.in_range(on, what="purchase date")
    if delivery_date is not None:
        dates.in_range(delivery_date, what="delivery date")
    for field, value, multiline in (
        ("item", item, False),
        ("category", category, False),
        ("order", order_id, False),
        ("note", note, True),
    ):  # the one-line ones are indexed (the line key is made of the order's id)
        text.check_optional(value, field=Named(field), multiline=multiline, indexed=not multiline)
    with db.write():
        # Kept until the line is stored: a delete or merge of the customer meanwhile
        # waits for it, or it waits for them and finds the customer gone.
        customer = f"SELECT 1 FROM customers WHERE id = ?{db.keeps_rows}"
        if not db.execute(customer, [customer_id]).fetchone():
            raise NotFound(M_("no customer #{id}").format(id=customer_id))
        money.check_total(db, amount_micros)
        return db.insert(
            "purchases",
            {
                "customer_id": customer_id,
                "date": on.isoformat(),
                "amount_micros": amount_micros,
                "quantity": quantity,
                "unit_price_micros": unit_price_micros,
                "order_id": order_id,
                "item": item,
                "category": category,
                "delivery_date": delivery_date.isoformat() if delivery_date else None,
                "note": note,
                "created_at": dates.now_utc(),
            },
        )


def rows(
    db: Engine,
    *,
    customer_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Purchase lines, streamed, newest first; amounts in micro-units (`amount_micros`);
    the newest `limit` only when given."""
    where: list[str] = ["1 = 1"]  # true on both engines (PostgreSQL wants a boolean, not 1)
    params: list[Any] = []
    if customer_id is not None:
        where.append("p.customer_id = ?")
        params.append(customer_id)
    if since is not None:
        where.append("p.date >= ?")
        params.append(since.isoformat())
    if until is not None:
        where.append("p.date <= ?")
        params.append(until.isoformat())
    limited = ""
    if limit is not None:  # in the query: a server sends only these (its cursor sends all)
        limited = " LIMIT ?"
        params.append(limit)
    cursor = db.execute(
        # LEFT JOIN: an anonymous sale (no customer) is still the shop's revenue.
        f"""SELECT p.id, coalesce(c.code, '#' || c.id) AS customer, c.name AS customer_name,
                   p.order_id, p.line_id, p.date, p.amount_micros, p.quantity,
                   p.unit_price_micros, p.item, p.category, p.delivery_date, p.note,
                   p.customer_id
            FROM purchases p LEFT JOIN customers c ON c.id = p.customer_id
            WHERE {" AND ".join(where)}
            ORDER BY p.date DESC, p.id DESC{limited}""",
        params,
    )
    columns = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(columns, row, strict=True))


def totals(db: Engine, customer_id: int) -> dict[str, Any]:
    """Count, net total (micro-units), first and last purchase of a customer."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(amount_micros), 0), min(date), max(date)"
        " FROM purchases WHERE customer_id = ?",
        [customer_id],
    ).fetchone()
    return {"count": row[0], "total_micros": row[1], "first": row[2], "last": row[3]}
