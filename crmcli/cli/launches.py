"""`crmcli items list | launch`: what is sold, when each item was launched, its early buyers."""

from typing import Annotated

import typer

from crmcli import launches
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.dates import iso_date
from crmcli.errors import UsageError
from crmcli.i18n import N_, _

app = typer.Typer(
    help="Items sold: their launches (first sale, or a day you set) and their early buyers.",
    no_args_is_help=True,
)

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Launches and sales known on this day, YYYY-MM-DD (default today)."
    ),
]


@app.command("list")
def list_items(
    ctx: typer.Context,
    as_of: AsOf = None,
    fmt: FormatOption = None,
    fields: fields_option(launches.ITEM_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Every item sold, latest launch first: launch day, where it comes from, early buyers.

    source: `set` (items launch), `first sale`, or `before records` (first sold within
    attitude.early_days of the first purchase on record: no launch, nobody early).
    """
    env = get_env(ctx)
    db = env.read_db()
    rows = launches.items(db, as_of=env.today(as_of))
    chosen = pick_fields(fields, allowed=launches.ITEM_FIELDS, default=launches.ITEM_FIELDS)
    headers = {
        "launched_on": N_("launched"),
        "first_sale": N_("first sale"),
        "early_until": N_("early until"),
        "early_buyers": N_("early"),
    }
    emit(
        env,
        rows,
        fields=chosen,
        fmt=fmt,
        headers=headers,
        identify=("item",),
        empty=_("no item sold yet"),
    )


@app.command("launch")
def launch(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item, exactly as on its purchase lines.")],
    on: Annotated[
        str | None, typer.Option("--on", help="The launch day, YYYY-MM-DD.", show_default=False)
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Forget the day set: the first sale counts again.")
    ] = False,
) -> None:
    """Set an item's launch day (else its first sale is its launch)."""
    env = get_env(ctx)
    if clear == (on is not None):
        raise UsageError(_("give --on DATE, or --clear"))
    db = env.db
    if clear:
        had = launches.clear_launch(db, item=item)
        if had:
            said = _("{item}: launch day forgotten; the first sale counts")
        else:
            said = _("{item}: launch day was not set; the first sale counts")
        env.say(said.format(item=item))
        return
    day = iso_date(on or "", what="--on")
    lines = launches.set_launch(db, item=item, on=day)
    env.say(_("{item}: launched on {day}").format(item=item, day=day))
    if not lines:
        hint = launches.similar(db, item)
        if hint:
            said = _(
                "no purchase line names {item} yet (items with that in their name: {names}); "
                "its buyers count from the day they buy it"
            )
        else:
            said = _("no purchase line names {item} yet; its buyers count from the day they buy it")
        env.say(said.format(item=repr(item), names=", ".join(hint)))
