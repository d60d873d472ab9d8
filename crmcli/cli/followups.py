"""`crmcli followups …`: promised call-backs — add, list, done, snooze, cancel."""

from datetime import date
from functools import partial
from typing import Annotated

import typer

from crmcli import customers, dates, followups
from crmcli.cli.env import Env, get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.errors import UsageError
from crmcli.i18n import N_, _
from crmcli.recurrence import describe

app = typer.Typer(help="Promised call-backs: a promise with a date.", no_args_is_help=True)

Id = Annotated[int, typer.Argument(help="The follow-up's number (see `followups list`).")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Take this day (YYYY-MM-DD) as today.")]
FIELDS = (
    "id",
    "day",
    "due_on",
    "snoozed_until",
    "status",
    "code",
    "customer",
    "note",
    "rrule",
    "owner",
    "done_at",
    "done_note",
)
DEFAULT_FIELDS = ("id", "day", "code", "customer", "note", "rrule", "owner")


def _day(env: Env, on: str | None, within: str | None, as_of: str | None, what: str) -> date:
    """`--on DATE` or `--in/--for SPAN` (counted from today), exactly one of them."""
    if (on is None) == (within is None):
        raise UsageError(
            _("give either --on DATE or {option} SPAN (e.g. 3d, 2w)").format(option=what)
        )
    if on is not None:
        return dates.iso_date(on, what="--on")
    assert within is not None
    span = dates.parse_span(within, what=what)
    return dates.shift(env.today(as_of), span, what=f"{what} {within.strip()}")


@app.command("add")
def add(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone or e-mail.")],
    note: Annotated[str, typer.Option("--note", "-m", help="What was promised.")],
    on: Annotated[str | None, typer.Option("--on", help="Due on this day, YYYY-MM-DD.")] = None,
    within: Annotated[
        str | None, typer.Option("--in", help="Due after this span from today: 3d, 2w, 1m.")
    ] = None,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Repeat: 1w, 2w, 1m, 1y, or an RRULE (FREQ=MONTHLY;…)."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Who calls back (default: the customer's owner).")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Record a promise to get back to a customer; prints its number."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    day = _day(env, on, within, as_of, "--in")
    fid = followups.add(db, customer_id=customer_id, on=day, note=note, every=every, owner=owner)
    print(fid, file=env.stdout)
    env.say(_("follow-up #{id} due {day}").format(id=fid, day=day.isoformat()))


@app.command("list")
def list_(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Done and cancelled ones too.")] = False,
    fmt: FormatOption = None,
    fields: fields_option(FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List open follow-ups, soonest first."""
    env = get_env(ctx)
    db = env.read_db()
    chosen = pick_fields(fields, allowed=FIELDS, default=DEFAULT_FIELDS)
    customer_id = customers.resolve(db, ref) if ref else None
    rows = followups.rows(db, customer_id=customer_id, status=None if all_ else "open")
    # On a terminal the rule reads in words (`monthly, on the last day`); CSV/JSON keep it.
    emit(
        env,
        rows,
        fields=chosen,
        fmt=fmt,
        headers={"rrule": N_("repeats")},
        keep=("day", "note", "rrule"),  # the promise and when, on a narrow terminal too
        under={"code": "customer"},
        shown_as={"rrule": partial(describe, translated=True)},
    )


@app.command("done")
def done(
    ctx: typer.Context,
    followup_id: Id,
    note: Annotated[str | None, typer.Option("--note", "-m", help="How it went.")] = None,
) -> None:
    """Mark a promise kept; a recurring one comes back on its next date."""
    env = get_env(ctx)
    upcoming = followups.done(env.db, followup_id, note=note)
    if upcoming is None:
        env.say(_("follow-up #{id} done").format(id=followup_id))
    else:
        day = followups.get(env.db, upcoming).due_on
        said = _("follow-up #{id} done; next one is #{next}, due {day}")
        env.say(said.format(id=followup_id, next=upcoming, day=day))


@app.command("snooze")
def snooze(
    ctx: typer.Context,
    followup_id: Id,
    until: Annotated[
        str | None, typer.Option("--until", help="Put it off until this day, YYYY-MM-DD.")
    ] = None,
    for_: Annotated[
        str | None, typer.Option("--for", help="Put it off for this span from today: 3d, 1w.")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Put a follow-up off to a later day."""
    env = get_env(ctx)
    if (until is None) == (for_ is None):
        raise UsageError(_("give either --until DATE or --for SPAN (e.g. 3d)"))
    day = (
        dates.iso_date(until, what="--until")
        if until is not None
        else _day(env, None, for_, as_of, "--for")
    )
    followups.snooze(env.db, followup_id, until=day)
    env.say(_("follow-up #{id} snoozed until {day}").format(id=followup_id, day=day.isoformat()))


@app.command("cancel")
def cancel(ctx: typer.Context, followup_id: Id) -> None:
    """Drop a promise that no longer stands."""
    env = get_env(ctx)
    followups.cancel(env.db, followup_id)
    env.say(_("follow-up #{id} cancelled").format(id=followup_id))
