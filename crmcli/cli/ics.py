"""`crmcli export …`: the agenda for other programs (a calendar app)."""

from pathlib import Path
from typing import Annotated

import typer

from crmcli import dates
from crmcli.cli.env import get_env
from crmcli.i18n import ngettext, say_message

app = typer.Typer(help="Export the agenda for other programs.", no_args_is_help=True)


@app.command("ics")
def export_ics(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option("--days", "-d", help="How many days ahead to include.", min=1)
    ] = 365,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Take this day (YYYY-MM-DD) as today.")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", "-k", help="Only this kind; repeatable.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this staff member's.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --output file if it already exists.")
    ] = False,
) -> None:
    """The upcoming agenda as an iCalendar (.ics) file."""
    from crmcli import agenda, ics

    env = get_env(ctx)
    db = env.read_db()
    target = None
    if output is not None and str(output) != "-":  # `-o -`: stdout, as usual
        from crmcli.files import Output, protect_database

        # Checked before any work: a refused path costs nothing and changes nothing.
        target = Output(output, protect=protect_database(db), force=force, binary=True)
    start = env.today(as_of)
    warnings: list[str] = []
    entries = agenda.due(
        db,
        start=start,
        end=dates.agenda_end(start, days),
        kinds=kind or (),
        owner=owner,
        warnings=warnings,
    )
    for message in warnings:  # the calendar still holds everything else
        env.say(f"crmcli: warning: {say_message(message)}")  # the core's words, translated
    data = ics.calendar(entries)
    if target is None:
        env.stdout.write(data.decode("utf-8"))
        env.stdout.flush()
    else:
        with target as f:  # names and birthdays: 0600, put in place whole
            f.write(data)
        n = len(entries)
        said = ngettext("{n} event written to {path}", "{n} events written to {path}", n)
        env.say(said.format(n=n, path=output))
