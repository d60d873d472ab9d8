"""`crmcli customers set-tier | at-risk`: the tier commands on a customer."""

from typing import Annotated

import typer

from crmcli import buying, customers, settings, tiers
from crmcli.cli.customers import Ref, app, emit_customers
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, customer_fields_option
from crmcli.errors import UsageError
from crmcli.i18n import N_, _

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Count days up to this day, YYYY-MM-DD (default today)."),
]


@app.command("set-tier")
def set_tier(
    ctx: typer.Context,
    ref: Ref,
    tier: Annotated[str | None, typer.Argument(help="A, B or C.", show_default=False)] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept and shown).")] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the tier set by hand; runs decide again.")
    ] = False,
) -> None:
    """Set a customer's tier by hand; it survives every classification until --clear."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    if clear == (tier is not None):
        raise UsageError(_("give a tier (A, B or C) with --reason, or --clear"))
    if clear:
        had = tiers.clear_override(db, customer_id)
        if had:
            env.say(_("customer #{id}: tier set by hand removed").format(id=customer_id))
        else:
            env.say(_("customer #{id} had no tier set by hand").format(id=customer_id))
        return
    tiers.set_override(db, customer_id, tier=tier or "", reason=reason or "")
    said = _("customer #{id} is tier {tier} until --clear")
    env.say(said.format(id=customer_id, tier=tier.upper() if tier else ""))


@app.command("at-risk")
def at_risk(
    ctx: typer.Context,
    as_of: AsOf = None,
    k: Annotated[
        float | None,
        typer.Option("--k", help="Overdue after k usual intervals (default: tiers.at_risk.k)."),
    ] = None,
    fmt: FormatOption = None,
    fields: customer_fields_option(buying.AT_RISK_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """A and B customers overdue: days since their last purchase > k × their usual interval."""
    env = get_env(ctx)
    db = env.read_db()
    if k is not None:  # before the first row is printed
        settings.validate("tiers.at_risk.k", str(k), what="--k")
    rows = buying.at_risk(db, as_of=env.today(as_of), k=k)
    headers = {
        "days_since": N_("days since"),
        "interval_days": N_("usual interval"),
        "ratio": N_("× usual"),
    }
    emit_customers(
        env,
        lambda _fetch: rows,
        fields=fields,
        fmt=fmt,
        own=buying.AT_RISK_FIELDS,
        default=buying.AT_RISK_DEFAULT,
        headers=headers,
        empty=_("no A or B customer is overdue"),
    )
