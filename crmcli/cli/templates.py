"""`crmcli templates …`: the greeting templates `crmcli greet` fills in."""

from typing import Annotated

import typer

from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.i18n import _, said

app = typer.Typer(
    help="Greeting templates: birthday, anniversary, holiday, thanks, per language (thanks.ko…).",
    no_args_is_help=True,
)

# crmcli.templates.PLACEHOLDERS, written out so that start-up need not import it
# (a test keeps the two the same).
PLACEHOLDERS_HELP = (
    "{salutation}, {friendly}, {name}, {given_name}, {family_name}, {holiday}, {occasion},"
    " {years}, {date}, {shop}, {code}, {benefit}, {items}, {relative}, {relation}"
)

Name = Annotated[str, typer.Argument(help="Template name: birthday, holiday.ko, my-own…")]


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: fields_option(("name", "body")) = None,  # type: ignore[valid-type]
) -> None:
    """Every template and its text."""
    from crmcli import templates

    env = get_env(ctx)
    rows = ({"name": t.name, "body": t.body} for t in templates.all_templates(env.read_db()))
    chosen = pick_fields(fields, allowed=("name", "body"), default=("name", "body"))
    emit(env, rows, fields=chosen, fmt=fmt, identify=("name",))


@app.command("show")
def show(ctx: typer.Context, name: Name) -> None:
    """Print one template's text."""
    from crmcli import templates

    env = get_env(ctx)
    body = templates.get(env.read_db(), name).body
    if env.stdout_isatty:  # read by a person: an escape sequence in it is shown, not obeyed
        from crmcli.cli.screen import for_person

        body = for_person(body, env.stdout, newlines=True)
    print(body, file=env.stdout)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Name,
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help=said("The message, with placeholders: {names}.", names=PLACEHOLDERS_HELP),
        ),
    ],
) -> None:
    """Create or change a template."""
    from crmcli import templates

    env = get_env(ctx)
    templates.set_template(env.db, name=name, body=text)
    env.say(_("template {name} saved").format(name=name))


@app.command("remove")
def remove(ctx: typer.Context, name: Name) -> None:
    """Delete a template."""
    from crmcli import templates

    env = get_env(ctx)
    templates.remove(env.db, name)
    env.say(_("template {name} removed").format(name=name))
