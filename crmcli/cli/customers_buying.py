"""`crmcli customers who-bought | set-attitude | attitudes`: what customers buy (buying.py)."""

from typing import Annotated, Any

import typer

from crmcli import buying, customers, tiers
from crmcli.cli.customers import Ref, app, emit_customers
from crmcli.cli.env import get_env
from crmcli.cli.output import Format, FormatOption, customer_fields_option, resolve_format, stream
from crmcli.dates import iso_date
from crmcli.errors import UsageError
from crmcli.i18n import _, translate
from crmcli.money import to_decimal
from crmcli.settings import display_places

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Count days up to this day, YYYY-MM-DD (default today)."),
]


def _money(row: dict[str, Any], *, listed: bool = True) -> dict[str, Any]:
    from crmcli.cli.page import listed as joined

    items = joined(row["items"]) if listed else row["items"]
    return {**row, "spent": to_decimal(row["spent_micros"]), "items": items}


@app.command("who-bought")
def who_bought(
    ctx: typer.Context,
    item: Annotated[
        str | None, typer.Option("--item", "-i", help="Any part of the item's name.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="Any part of the category.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Bought on or after this day, YYYY-MM-DD.")
    ] = None,
    tier: Annotated[
        list[str] | None, typer.Option("--tier", help="Only tier A, B or C; repeatable.")
    ] = None,
    include_do_not_contact: Annotated[
        bool,
        typer.Option("--include-do-not-contact", help="Also list customers marked do-not-contact."),
    ] = False,
    early: Annotated[
        bool,
        typer.Option(
            "--early",
            help="Only lines bought within attitude.early_days of the item's launch "
            "(see `items list`).",
        ),
    ] = False,
    as_of: AsOf = None,
    fmt: FormatOption = None,
    fields: customer_fields_option(buying.WHO_BOUGHT_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Customers who bought an item or category — the list for an offer (CSV for mail-merge)."""
    env = get_env(ctx)
    db = env.read_db()
    rows = buying.who_bought(
        db,
        item=item,
        category=category,
        since=iso_date(since, what="--since") if since else None,
        tiers=tuple(tier or ()),
        include_do_not_contact=include_do_not_contact,
        early=early,
        as_of=env.today(as_of) if (early or as_of) else None,
    )
    # Items bought: a list in JSON; elsewhere joined with ", ", an item holding a comma quoted.
    as_list = resolve_format(env, fmt) in (Format.json, Format.jsonl)
    found = emit_customers(
        env,
        lambda _fetch: stream(rows, lambda r: _money(r, listed=not as_list)),
        fields=fields,
        fmt=fmt,
        own=buying.WHO_BOUGHT_FIELDS,
        default=buying.WHO_BOUGHT_WITH_BENEFIT
        if tiers.all_benefits(db)
        else buying.WHO_BOUGHT_DEFAULT,
        money_places=display_places(db),
    )
    if not found:
        env.say(_("nobody bought that"))


@app.command("set-attitude")
def set_attitude(
    ctx: typer.Context,
    ref: Ref,
    attitude: Annotated[
        str | None,
        typer.Argument(help="loyal, brand-switching or no-loyalty.", show_default=False),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the attitude you set.")] = False,
    as_of: AsOf = None,
) -> None:
    """Record a customer's attitude (seed 003); without a value, show what buying suggests."""
    env = get_env(ctx)
    db = env.db if (attitude or clear) else env.read_db()
    customer_id = customers.resolve(db, ref)
    if attitude and clear:
        raise UsageError(_("give an attitude or --clear, not both"))
    today = env.today(as_of)  # a bad --as-of is refused before anything is written
    hint = buying.suggest_attitude(db, customer_id, as_of=today)  # refused before a write
    if clear:
        customers.edit(db, customer_id, clear=["attitude"])
    elif attitude:
        customers.edit(db, customer_id, attitude=attitude.strip().lower())
    current = customers.get(db, customer_id).fields["attitude"]
    if current:
        print(current, file=env.stdout)
    from crmcli.cli.i18n import shown_value  # the words of a screen, not of a pipe

    said = _("customer #{id}: attitude {attitude}")
    env.say(said.format(id=customer_id, attitude=shown_value("attitude", current) or _("not set")))
    said = _("suggested from buying: {attitude} ({why})")
    suggested = shown_value("attitude", hint.suggested) or _("none")
    env.say(said.format(attitude=suggested, why=translate(hint.why)))


@app.command("attitudes")
def attitudes(
    ctx: typer.Context,
    as_of: AsOf = None,
    differs: Annotated[
        bool, typer.Option("--differs", help="Only where the suggestion differs from yours.")
    ] = False,
    fmt: FormatOption = None,
    fields: customer_fields_option(buying.ATTITUDE_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Every customer's attitude as you set it and as buying suggests it."""
    env = get_env(ctx)
    rows = buying.attitudes(env.read_db(), as_of=env.today(as_of), differs=differs)
    emit_customers(
        env,
        lambda _fetch: rows,
        fields=fields,
        fmt=fmt,
        own=buying.ATTITUDE_FIELDS,
        default=buying.ATTITUDE_FIELDS,
        keep=("attitude", "suggested"),  # what the command is for
    )
