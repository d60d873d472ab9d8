"""`crmcli imports list | undo`: past imports, and taking one back."""

from typing import Annotated

import typer

from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.i18n import _, ngettext, translate
from crmcli.imports import journal

app = typer.Typer(help="Past imports: list them, undo one.", no_args_is_help=True)
ImportFields = fields_option(journal.IMPORT_FIELDS)


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = None, fields: ImportFields = None) -> None:
    """Every import: file, sha256, counts, when, and whether it was undone."""
    env = get_env(ctx)
    chosen = pick_fields(fields, allowed=journal.IMPORT_FIELDS, default=journal.IMPORT_FIELDS[:-1])
    emit(env, journal.list_imports(env.read_db()), fields=chosen, fmt=fmt)


@app.command("undo")
def undo(
    ctx: typer.Context,
    import_id: Annotated[int, typer.Argument(help="The import's id (see `imports list`).")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Undo even though records were changed since the import (they are listed"
            " first without it), and remove imported purchases a complaint refers to.",
        ),
    ] = False,
) -> None:
    """Undo an import: remove what it added, put back what it updated.

    Later work (hand edits, follow-ups, contacts) is listed, and undo refused unless --force.
    """
    env = get_env(ctx)
    from crmcli.imports import undo as import_undo  # `imports list` needs none of it

    result = import_undo.undo(env.db, import_id, force=force)
    for line in result.overwritten:  # each said by the core in English: translated here
        env.say("  " + _("undone despite a later change: {change}").format(change=translate(line)))
    for line in result.kept:
        env.say(f"  {translate(line)}")
    added = ngettext("{n} added row", "{n} added rows", result.added).format(n=result.added)
    n = result.updated
    updated = ngettext("{n} updated one", "{n} updated ones", n).format(n=n)
    said = _("undid import #{id}: removed {added}, restored {updated}")
    env.say(said.format(id=import_id, added=added, updated=updated))
