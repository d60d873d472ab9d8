"""`crmcli customers early-adopters`: the launch commands on customers (launches.py)."""

from typing import Annotated, Any

import typer

from crmcli import launches
from crmcli.cli.customers import app, emit_customers
from crmcli.cli.env import get_env
from crmcli.cli.output import Format, FormatOption, customer_fields_option, resolve_format, stream
from crmcli.i18n import _

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Count days up to this day, YYYY-MM-DD (default today)."),
]


IncludeDnc = Annotated[
    bool,
    typer.Option("--include-do-not-contact", help="Also list customers marked do-not-contact."),
]


@app.command("early-adopters")
def early_adopters(
    ctx: typer.Context,
    as_of: AsOf = None,
    include_do_not_contact: IncludeDnc = False,
    fmt: FormatOption = None,
    fields: customer_fields_option(launches.ADOPTER_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Early adopters: bought attitude.early_launches launches within attitude.early_days.

    The first people to tell about the next new item; most launches first.
    """
    env = get_env(ctx)
    db = env.read_db()
    rows = launches.early_adopters(
        db, as_of=env.today(as_of), include_do_not_contact=include_do_not_contact
    )
    as_list = resolve_format(env, fmt) in (Format.json, Format.jsonl)
    emit_customers(
        env,
        lambda _fetch: stream(rows, lambda r: _items(r, listed=not as_list)),
        fields=fields,
        fmt=fmt,
        own=launches.ADOPTER_FIELDS,
        default=launches.ADOPTER_DEFAULT,
        empty=_("no early adopter yet (`crmcli items list` shows the launches)"),
    )


def _items(row: dict[str, Any], *, listed: bool) -> dict[str, Any]:
    from crmcli.cli.page import listed as joined

    return {**row, "items": joined(row["items"]) if listed else row["items"]}
