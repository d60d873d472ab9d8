"""`crmcli config …`: settings stored in the database."""

import os
from typing import Annotated

import typer

from crmcli import customers, settings
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.i18n import ENVIRONMENT, N_, _, environment_decides

app = typer.Typer(
    help="Settings: phone region, currency, holidays, cadences…", no_args_is_help=True
)

FIELDS = ("key", "value", "default", "help")
Key = Annotated[str, typer.Argument(help="Setting name, e.g. phone.region.")]


@app.command("get")
def get(ctx: typer.Context, key: Key) -> None:
    """Print a setting's value."""
    env = get_env(ctx)
    print(settings.get_raw(env.settings_db(), key), file=env.stdout)


@app.command("set")
def set_(
    ctx: typer.Context, key: Key, value: Annotated[str, typer.Argument(help="New value.")]
) -> None:
    """Change a setting."""
    env = get_env(ctx)
    said = customers.set_setting(env.db, key, value)
    env.say(f"{key} = {settings.get(env.db, key)}")
    for line in said:
        env.say(line)
    if key == "ui.language" and environment_decides():
        # The environment comes first, as gettext has it: say so, or the change looks lost.
        named = ", ".join(f"{n}={os.environ[n]}" for n in ENVIRONMENT if os.environ.get(n))
        said = _("note: {names} chooses the language first; ui.language applies without it")
        env.say(said.format(names=named))


@app.command("unset")
def unset(ctx: typer.Context, key: Key) -> None:
    """Return a setting to its default."""
    env = get_env(ctx)
    said = customers.unset_setting(env.db, key)
    env.say(_("{key} = {value} (default)").format(key=key, value=settings.get(env.db, key)))
    for line in said:
        env.say(line)


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: fields_option(FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List every setting, its value, and what it does."""
    env = get_env(ctx)
    rows = (
        {"key": k, "value": v, "default": N_("yes") if d else "", "help": h}
        for k, v, d, h in settings.all_values(env.settings_db())
    )
    chosen = pick_fields(fields, allowed=FIELDS, default=FIELDS)
    # What each setting does, in the person's language on a terminal; CSV keeps English.
    emit(env, rows, fields=chosen, fmt=fmt, shown_as={"help": _, "default": _})
