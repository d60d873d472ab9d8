"""`crmcli customers forget`: erase a person's data, keep the anonymous sales."""

from typing import Annotated

import typer

from crmcli import customers, privacy
from crmcli.cli.customers import Ref, app
from crmcli.cli.env import confirm, get_env
from crmcli.errors import UsageError
from crmcli.i18n import _, ngettext, say_message
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
            raise UsageError(_("forgetting needs --yes when not run at a terminal"))
        question = _(
            "Erase customer #{id} {name}'s name, phones, e-mail, address, notes and dates for good?"
        )
        confirm(question.format(id=customer_id, name=who))
    done = privacy.forget(db, customer_id)
    total = format_amount(done.kept_total_micros, places=display_places(db))
    said = ngettext(
        "forgot customer #{id}: personal data erased; kept {n} purchase totalling {total}, "
        "anonymous",
        "forgot customer #{id}: personal data erased; kept {n} purchases totalling {total}, "
        "anonymous",
        done.kept_purchases,
    )
    env.say(said.format(id=customer_id, n=done.kept_purchases, total=total))
    for warning in done.warnings:
        # The core's warnings (M_) in the user's language, as its errors are.
        env.say(_("warning: {problem}").format(problem=say_message(warning)))
    env.say(_("backups made before now still hold their data: replace or delete them"))
