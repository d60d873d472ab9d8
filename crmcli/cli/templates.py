"""`crmcli templates …`: the greeting templates `crmcli greet` fills in."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli import greetings
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit

app = typer.Typer(
    help="Greeting templates: birthday, anniversary, holiday, per language (birthday.ko…).",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="Template name: birthday, holiday.ko, my-own…")]


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Every template and its text."""
    env = get_env(ctx)
    rows = ({"name": t.name, "body": t.body} for t in greetings.all_templates(env.read_db()))
    emit(env, rows, fields=["name", "body"], fmt=fmt)


@app.command("show")
def show(ctx: typer.Context, name: Name) -> None:
    """Print one template's text."""
    env = get_env(ctx)
    print(greetings.get(env.read_db(), name).body, file=env.stdout)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Name,
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help="The message, with placeholders: "
            + ", ".join("{" + p + "}" for p in greetings.PLACEHOLDERS),
        ),
    ],
) -> None:
    """Create or change a template."""
    env = get_env(ctx)
    greetings.set_template(env.db, name=name, body=text)
    env.say(f"template {name} saved")


@app.command("remove")
def remove(ctx: typer.Context, name: Name) -> None:
    """Delete a template."""
    env = get_env(ctx)
    greetings.remove(env.db, name)
    env.say(f"template {name} removed")
