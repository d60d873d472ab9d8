"""`crmcli due` (and `due done|skip`) and `crmcli greet`: the daily agenda, dealt with.

Made for cron too: when nothing is due, nothing is printed (not even a header) and
the exit status is 0, so cron mails nothing. The core modules are imported when a
command runs, not when crmcli starts (every other command would pay for them).
"""

from datetime import date
from itertools import chain
from typing import Annotated

import typer

from crmcli import agenda as agenda_core
from crmcli import dates, settings
from crmcli import greetings as greetings_core
from crmcli.cli.env import Env, get_env
from crmcli.cli.output import (
    Format,
    FormatOption,
    emit,
    fields_option,
    pick_fields,
    resolve_format,
)
from crmcli.db_url import PostgresUrl
from crmcli.errors import InvalidValue
from crmcli.i18n import _, ngettext, said, say_message

# The kinds of crmcli.agenda.KINDS (a test keeps the two the same).
KINDS_HELP = (
    "birthday, anniversary, holiday, after-sale, thanks, prospect, visit, followup, complaint,"
    " family-birthday"
)

AsOf = Annotated[str | None, typer.Option("--as-of", help="Take this day (YYYY-MM-DD) as today.")]
Days = Annotated[
    int,
    typer.Option("--days", "-d", help="How many days from today to cover (1 = today only).", min=1),
]


def window(env: Env, as_of: str | None, days: int) -> tuple[date, date]:
    start = env.today(as_of)
    return start, dates.agenda_end(start, days)


def warn(env: Env, warnings: list[str]) -> None:
    """One line on stderr per broken setting: the rest of the list was still printed."""
    for message in warnings:
        env.say(f"crmcli: warning: {say_message(message)}")  # the core's words, translated


def with_identity(env: Env, fields: list[str], fmt: Format | None) -> list[str]:
    """JSON and JSONL always carry the customer's id and code: programs join on them."""
    from crmcli.agenda import IDENTITY_FIELDS

    if resolve_format(env, fmt) not in (Format.json, Format.jsonl):
        return fields
    return [*fields, *(f for f in IDENTITY_FIELDS if f not in fields)]


due_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="Whom to call, greet or visit today (or over --days), and why.",
)

Keys = Annotated[list[str], typer.Argument(help="Item keys, as `due --fields key` shows them.")]
On = Annotated[str | None, typer.Option("--on", help="When, YYYY-MM-DD (default: now).")]
By = Annotated[str | None, typer.Option("--by", help="Who dealt with it (default: you).")]


@due_app.callback()
def due(
    ctx: typer.Context,
    as_of: AsOf = None,
    days: Days = 1,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help=said("Only this kind; repeatable. Kinds: {kinds}.", kinds=KINDS_HELP),
        ),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only the customers this staff member has.")
    ] = None,
    tier: Annotated[
        str | None, typer.Option("--tier", help="Only customers of tier A, B or C.")
    ] = None,
    since_last_run: Annotated[
        bool,
        typer.Option(
            "--since-last-run",
            help="Also cover the days since the last such run (for cron), and record this run.",
        ),
    ] = False,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="urgency: today's and overdue items by urgency first, then the coming days;"
            " date: by the day each fell due.",
        ),
    ] = "urgency",
    fmt: FormatOption = None,
    fields: fields_option(agenda_core.FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Whom to call, greet or visit today (or over --days), and why.

    Overdue and urgent items first; each stays until `due done KEY` or `due skip KEY`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from crmcli import agenda

    env = get_env(ctx)
    if tier is not None and tier.upper() not in ("A", "B", "C"):
        raise InvalidValue(_("--tier must be A, B or C, not {value}").format(value=repr(tier)))
    chosen = pick_fields(fields, allowed=agenda.FIELDS, default=agenda.DEFAULT_FIELDS)
    db = env.read_db()  # a cron run on a missing database creates none, and records nothing
    # (a database on a server exists once it could be read)
    record = since_last_run and (isinstance(env.db_path, PostgresUrl) or env.db_path.exists())
    today, end = window(env, as_of, days)
    start = today
    if since_last_run:
        # From the day after the last reported one: a missed day's greetings are caught
        # up even past their grace period. What is open is said again until dealt with.
        start = min(agenda.catch_up_start(db, today=today), today)
    warnings: list[str] = []
    try:
        per_day_text = settings.get(db, "agenda.visits_per_day")
    except settings.BrokenSetting as broken:
        warnings.append(_("visits not capped: {problem}").format(problem=broken))
        per_day_text = ""
    per_day = int(per_day_text) if per_day_text else None
    days_covered = (end - today).days + 1
    # A person is told how many visits were held back: counting every tier's overdue
    # visits costs a look at every customer, which cron need not pay for.
    counts: dict[str, int] | None = {} if env.stdout_isatty else None
    lines = agenda.lines(
        db,
        start=start,
        end=end,
        kinds=kind or (),
        owner=owner,
        tier=tier and tier.upper(),
        sort=sort,
        today=today,
        visits_limit=per_day * days_covered if per_day is not None else None,
        visits_per_day=per_day,
        days=days_covered,
        counts=counts,
        warnings=warnings,
        details=False,
    )
    held = counts.get("visits held", 0) if counts is not None else 0
    if held:
        env.say(
            ngettext(
                "{n} more visit is due; it comes up on a later day (agenda.visits_per_day)",
                "{n} more visits are due; they come up on the next days (agenda.visits_per_day)",
                held,
            ).format(n=held)
        )
    listed = 0
    first = next(lines, None)
    if first is not None:  # nothing due: nothing printed, not even a header (cron)
        # On a narrow terminal the reason stays: it is what the agenda is for.
        fields_shown = with_identity(env, chosen, fmt)
        listed = emit(
            env,
            chain((first,), lines),
            fields=fields_shown,
            fmt=fmt,
            keep=("why", "date", "phone"),
            under={"phone": "name"},  # a narrow terminal: the number to call under the name
            plain=True,
        )
    elif env.stdout_isatty:  # a person at a terminal is told; cron gets silence
        env.say(
            _("nothing is due on {day}").format(day=end.isoformat())
            if start == end
            else _("nothing is due from {start} to {end}").format(
                start=start.isoformat(), end=end.isoformat()
            )
        )
    warn(env, warnings)
    if record:
        agenda.record_run(db, start=start, end=end, items=listed)


def _deal(ctx: typer.Context, keys: list[str], outcome: str, **kw: str | None) -> None:
    from crmcli import agenda_done, dates

    env = get_env(ctx)
    on = kw.pop("on")
    at = dates.iso_date(on, what="--on").isoformat() if on else None
    done = agenda_done.record(env.db, keys, outcome=outcome, at=at, **kw)
    said = _("done: {key} ({what})") if outcome == "done" else _("skipped: {key} ({what})")
    for k in done:
        env.say(said.format(key=k.key, what=k.what))


@due_app.command("done")
def due_done(
    ctx: typer.Context,
    keys: Keys,
    note: Annotated[str | None, typer.Option("--note", "-m", help="What was done.")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="How: call, visit, sms, email…")
    ] = None,
    on: On = None,
    by: By = None,
) -> None:
    """Record items as done (in the contact log): they never come back."""
    env = get_env(ctx)
    _deal(ctx, keys, "done", note=note, channel=channel, on=on, by=by or env.user)


@due_app.command("skip")
def due_skip(
    ctx: typer.Context,
    keys: Keys,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is skipped.")] = None,
    on: On = None,
    by: By = None,
) -> None:
    """Record items as skipped (in the contact log): they never come back, no contact made."""
    env = get_env(ctx)
    _deal(ctx, keys, "skipped", note=reason, channel=None, on=on, by=by or env.user)


def greet(
    ctx: typer.Context,
    as_of: AsOf = None,
    days: Days = 1,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-t",
            help="Use this template (NAME.<language> when it exists) for every greeting.",
        ),
    ] = None,
    mark_sent: Annotated[
        bool,
        typer.Option(
            "--mark-sent",
            help="Record the greetings written as sent (contact log): they are not due again.",
        ),
    ] = False,
    fmt: FormatOption = None,
    fields: fields_option(greetings_core.FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """A message for each birthday, anniversary, holiday and thank-you due (CSV for SMS/mail)."""
    from crmcli import greetings

    env = get_env(ctx)
    chosen = pick_fields(fields, allowed=greetings.FIELDS, default=greetings.DEFAULT_FIELDS)
    start, end = window(env, as_of, days)
    warnings: list[str] = []
    found = greetings.render(
        env.read_db(), start=start, end=end, template=template, warnings=warnings
    )
    if found.unreachable:
        env.say(
            ngettext(
                "{n} greeting left out: the customer has no phone or e-mail"
                " (`due --kind birthday --kind anniversary --kind holiday` lists it)",
                "{n} greetings left out: the customers have no phone or e-mail"
                " (`due --kind birthday --kind anniversary --kind holiday` lists them)",
                found.unreachable,
            ).format(n=found.unreachable)
        )
    if found.rows:
        emit(
            env,
            found.rows,
            fields=with_identity(env, chosen, fmt),
            fmt=fmt,
            keep=("message", "phone", "email"),  # what to send, and where
            under={"phone": "name", "email": "name"},
        )
    elif env.stdout_isatty:  # a person at a terminal is told; cron gets silence
        env.say(_("no greeting is due"))
    warn(env, warnings)
    if mark_sent and found.rows:
        from crmcli import agenda_done

        # After the messages are out: a failed write leaves them due, not lost.
        agenda_done.record(
            env.db,
            [r["key"] for r in found.rows],
            outcome="sent",
            by=env.user,
            notes={r["key"]: r["message"] for r in found.rows},
        )
        n = len(found.rows)
        env.say(
            ngettext("{n} greeting recorded as sent", "{n} greetings recorded as sent", n).format(
                n=n
            )
        )
