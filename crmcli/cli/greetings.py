"""`crmcli greet`: a message for each greeting on the agenda (CSV for SMS or mail).

Its own module so that `due`, which cron runs every morning, does not load the
greetings and their templates (cli/agenda.py holds what the two share).
"""

from typing import Annotated

import typer

from crmcli import greetings as greetings_core
from crmcli.cli.agenda import AsOf, Days, warn, window, with_identity
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.i18n import _, ngettext


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
