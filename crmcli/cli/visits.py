"""`crmcli visits …`: visit plans with a goal — plan, list, cancel."""

from typing import Annotated

import typer

from crmcli import customers, dates, visits
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.i18n import _, said

app = typer.Typer(
    help="Visit plans with a goal: a customer's own cadence over their tier's.",
    no_args_is_help=True,
)


@app.command("plan")
def plan(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone or e-mail.")],
    every: Annotated[
        str,
        typer.Option(
            "--every",
            help=said(
                "How often: a span such as 2w, 1m, 3m, 1y ({shortest} to {longest}); overrides "
                "the tier's cadence.",
                shortest=visits.SHORTEST,
                longest=visits.LONGEST,
            ),
        ),
    ],
    goal: Annotated[str, typer.Option("--goal", help="What the visits are for.")],
    from_: Annotated[
        str | None,
        typer.Option("--from", help="The first visit's day, YYYY-MM-DD (default: today)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Take this day (YYYY-MM-DD) as today.")
    ] = None,
) -> None:
    """Plan visits for a customer (replacing their plan in force); prints its number."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    start = dates.iso_date(from_, what="--from") if from_ else env.today(as_of)
    made, replaced = visits.plan(
        db, customer_id=customer_id, every=every, goal=goal, from_day=start
    )
    if replaced is not None:
        print(
            _("replaces visit plan #{id} (every {every}: {goal})").format(
                id=replaced.id, every=replaced.every, goal=replaced.goal
            ),
            file=env.stderr,
        )
    print(made.id, file=env.stdout)


@app.command("list")
def list_(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancelled and replaced plans too.")] = False,
    fmt: FormatOption = None,
    fields: fields_option(visits.FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """The visit plans in force, the next visit first, with their record."""
    env = get_env(ctx)
    db = env.read_db()
    chosen = pick_fields(fields, allowed=visits.FIELDS, default=visits.DEFAULT_FIELDS)
    customer_id = customers.resolve(db, ref) if ref else None
    found = visits.rows(db, customer_id=customer_id, include_cancelled=all_)
    emit(env, found, fields=chosen, fmt=fmt, identify=("id", "ref"))


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(help="The plan's number (see `visits list`).")],
) -> None:
    """Cancel a visit plan: the customer's tier cadence applies again."""
    env = get_env(ctx)
    done = visits.cancel(env.db, plan_id)
    said = _("cancelled visit plan #{id} (every {every}: {goal})")
    print(said.format(id=done.id, every=done.every, goal=done.goal), file=env.stderr)
