"""`crmcli contacts …`: log calls, visits and messages; a logged contact resets the visit clock."""

from typing import Annotated

import typer

from crmcli import contacts, customers, dates, visits
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.errors import UsageError
from crmcli.i18n import _, said

app = typer.Typer(help="The contact log: calls, visits, messages.", no_args_is_help=True)

FIELDS = ("id", "at", "code", "customer", "channel", "note", "by")


@app.command("log")
def log(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone or e-mail.")],
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel", "-c", help=said("How: {channels}.", channels=", ".join(contacts.CHANNELS))
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", "-m", help="What was said or done.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="When, YYYY-MM-DD (default: now).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who made contact (default: you).")] = None,
    visit: Annotated[
        bool,
        typer.Option(
            "--visit", help="A visit (--channel visit); with a visit plan, it closes the visit."
        ),
    ] = False,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help=said(
                "With --visit: whether the plan's goal was met ({outcomes}).",
                outcomes="|".join(visits.OUTCOMES),
            ),
        ),
    ] = None,
) -> None:
    """Record a call, visit or message; prints its number."""
    env = get_env(ctx)
    channel = channel.strip().lower() if channel is not None else None
    if visit and channel not in (None, "visit"):
        said = _("--visit is a contact by --channel visit, not {channel}")
        raise UsageError(said.format(channel=repr(channel)))
    if outcome is not None and not (visit or channel == "visit"):
        raise UsageError(_("--outcome goes with --visit: it says whether the visit's goal was met"))
    if channel is None and not visit:
        raise UsageError(_("give --channel (call, visit, sms…) or --visit"))
    db = env.db
    customer_id = customers.resolve(db, ref)
    at = dates.iso_date(on, what="--on").isoformat() if on else None
    if visit or channel == "visit":
        # Every visit of a customer with a plan counts in the plan's record.
        cid = visits.log_visit(
            db, customer_id=customer_id, outcome=outcome, note=note, by=by or env.user, at=at
        )
    else:
        assert channel is not None
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
