"""`crmcli customers forget`: erase a person's data, keep the anonymous sales."""

from typing import Annotated

import typer

from crmcli import customers, privacy
from crmcli.cli.customers import Ref, app
from crmcli.cli.env import get_env
from crmcli.errors import UsageError
from crmcli.money import format_amount
from crmcli.settings import display_places


@app.command("forget")
def forget(
    ctx: typer.Context,
    ref: Ref,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data for good; their purchase amounts stay, anonymous."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    who = customers.get(db, customer_id).display_name
    if not yes:
        if not env.stdout_isatty:
            raise UsageError("forgetting needs --yes when not run at a terminal")
        typer.confirm(
            f"Erase customer #{customer_id} {who}'s name, phones, e-mail, address, notes and "
            "dates for good?",
            abort=True,
        )
    done = privacy.forget(db, customer_id)
    total = format_amount(done.kept_total_micros, places=display_places(db))
    env.say(
        f"forgot customer #{customer_id}: personal data erased; kept {done.kept_purchases} "
        f"purchase(s) totalling {total}, anonymous"
    )
    for warning in done.warnings:
        env.say(f"warning: {warning}")
    env.say("backups made before now still hold their data: replace or delete them")
