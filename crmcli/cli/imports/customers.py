"""`crmcli customers import`, added to the customers group."""

from typing import Annotated

import typer

from crmcli.cli.customers import app
from crmcli.cli.env import get_env
from crmcli.cli.imports import options as shared
from crmcli.cli.output import (
    FormatOption,
)
from crmcli.i18n import _
from crmcli.imports.customers import import_customers


@app.command("import")
def import_(
    ctx: typer.Context,
    file: shared.FileArg,
    encoding: shared.EncodingOpt = None,
    map_: shared.MapOpt = None,
    date_order: shared.DateOrderOpt = None,
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="A row matching a stored customer: fill (fill in empty values, add phones"
            " and tags), update (also replace stored values), add (a row naming another"
            " person than the customer it shares a phone or e-mail with becomes a customer"
            " of its own), skip or error.",
        ),
    ] = "fill",
    dry_run: shared.DryRunOpt = False,
    skip_invalid: shared.SkipInvalidOpt = False,
    rejects: shared.RejectsOpt = None,
    region: shared.RegionOpt = None,
    force: shared.ForceRejectsOpt = False,
    profile: shared.ProfileOpt = None,
    save_profile: shared.SaveProfileOpt = None,
    verbose: shared.VerboseOpt = False,
    fmt: FormatOption = None,
) -> None:
    """Import customers from CSV/TSV (headers recognised, or --map) or vCard; all or nothing."""
    env = get_env(ctx)
    env.stores_nothing = dry_run
    mapping, order, chosen_encoding = shared.resolve_options(
        env,
        kind="customers",
        mapping=map_,
        order=date_order,
        encoding=encoding,
        profile=profile,
    )
    with shared.progress_bar(env, _("importing {name}").format(name=file.name)) as progress:
        shared.report(
            env,
            lambda: import_customers(
                env.db,
                file,
                encoding=chosen_encoding,
                mapping=mapping,
                date_order=order,
                on_conflict=on_conflict,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                rejects=rejects,
                replace_rejects=force,
                progress=progress,
                region=region,
            ),
            fmt,
            verbose=verbose,
        )
    shared.save_profile(
        env, save_profile, kind="customers", mapping=mapping, order=order, encoding=chosen_encoding
    )
