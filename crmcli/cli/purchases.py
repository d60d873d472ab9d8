"""`crmcli purchases …`: record and list what customers bought."""

from typing import Annotated, Any

import typer

from crmcli import customers, purchases
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, customer_fields_option, stream
from crmcli.dates import iso_date
from crmcli.i18n import _
from crmcli.money import parse_amount, to_decimal

app = typer.Typer(help="Record and list purchases.", no_args_is_help=True)


def present(row: dict[str, Any]) -> dict[str, Any]:
    """A stored purchase row as printed: amounts as exact Decimals."""
    out = dict(row)
    out["amount"] = to_decimal(row["amount_micros"])
    unit = row.get("unit_price_micros")
    out["unit_price"] = None if unit is None else to_decimal(unit)
    return out


@app.command("add")
def add(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone or e-mail.")],
    amount: Annotated[
        str, typer.Option("--amount", "-a", help="The line's total; negative for a return.")
    ],
    on: Annotated[
        str | None, typer.Option("--on", help="Purchase date, YYYY-MM-DD (default today).")
    ] = None,
    item: Annotated[str | None, typer.Option("--item", "-i", help="What was bought.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Product category.")] = None,
    quantity: Annotated[str | None, typer.Option("--quantity", "-q", help="How many.")] = None,
    order_id: Annotated[
        str | None, typer.Option("--order", help="Order or receipt number.")
    ] = None,
    delivered: Annotated[
        str | None, typer.Option("--delivered", help="Delivery date, YYYY-MM-DD.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note on this purchase.")] = None,
) -> None:
    """Record a purchase by hand; prints its id."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    purchase_id = purchases.add(
        db,
        customer_id=customer_id,
        amount_micros=parse_amount(amount),
        on=iso_date(on, what="--on") if on else env.today(),
        item=item,
        category=category,
        quantity=quantity,
        order_id=order_id,
        delivery_date=iso_date(delivered, what="--delivered") if delivered else None,
        note=note,
    )
    print(purchase_id, file=env.stdout)
    env.say(
        _("recorded purchase #{id} for customer #{customer}").format(
            id=purchase_id, customer=customer_id
        )
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this customer's purchases.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date, YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this date, YYYY-MM-DD.")
    ] = None,
    fmt: FormatOption = None,
    fields: customer_fields_option(purchases.LIST_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List purchases, newest first."""
    env = get_env(ctx)
    db = env.read_db()
    customer_id = customers.resolve(db, ref) if ref else None
    rows = purchases.rows(
        db,
        customer_id=customer_id,
        since=iso_date(since, what="--since") if since else None,
        until=iso_date(until, what="--until") if until else None,
    )
    from crmcli.cli.customers import emit_customers
    from crmcli.settings import display_places

    emit_customers(  # any customer field beside the line's own (phone, tags…)
        env,
        lambda _fetch: stream(rows, present),
        fields=fields,
        fmt=fmt,
        own=purchases.LIST_FIELDS,
        default=purchases.DEFAULT_LIST_FIELDS,
        id_key="customer_id",
        money_places=display_places(db),
        keep=("date", "amount", "item"),  # what was bought when, on a narrow terminal too
        under={"customer": "customer_name"},
    )
