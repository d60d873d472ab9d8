"""`crmcli contacts …`: log calls, visits and messages; a logged contact resets the visit clock."""

from typing import Annotated

import typer

from crmcli import contacts, customers, dates
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields

app = typer.Typer(help="The contact log: calls, visits, messages.", no_args_is_help=True)

FIELDS = ("id", "at", "code", "customer", "channel", "note", "by")


@app.command("log")
def log(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone or e-mail.")],
    channel: Annotated[
        str, typer.Option("--channel", "-c", help=f"How: {', '.join(contacts.CHANNELS)}.")
    ],
    note: Annotated[str | None, typer.Option("--note", "-m", help="What was said or done.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="When, YYYY-MM-DD (default: now).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who made contact (default: you).")] = None,
) -> None:
    """Record a call, visit or message; prints its number."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    at = dates.iso_date(on, what="--on").isoformat() if on else None
    cid = contacts.log(
        db, customer_id=customer_id, channel=channel, note=note, by=by or env.user, at=at
    )
    print(cid, file=env.stdout)


@app.command("list")
def list_(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="How many, newest first.", min=1, max=10**9, clamp=True)
    ] = 50,
    fmt: FormatOption = None,
    fields: fields_option(FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """The latest contacts, newest first."""
    env = get_env(ctx)
    db = env.read_db()
    chosen = pick_fields(fields, allowed=FIELDS, default=FIELDS)
    customer_id = customers.resolve(db, ref) if ref else None
    emit(env, contacts.rows(db, customer_id=customer_id, limit=limit), fields=chosen, fmt=fmt)
