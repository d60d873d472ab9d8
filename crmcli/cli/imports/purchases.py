"""`crmcli purchases import`, added to the purchases group."""

from typing import Annotated

import typer

from crmcli.cli.env import get_env
from crmcli.cli.imports import options as shared
from crmcli.cli.output import FormatOption
from crmcli.cli.purchases import app
from crmcli.i18n import _
from crmcli.imports.purchases import import_purchases


@app.command("import")
def import_(
    ctx: typer.Context,
    file: shared.FileArg,
    encoding: shared.EncodingOpt = None,
    map_: shared.MapOpt = None,
    date_order: shared.DateOrderOpt = None,
    create_customers: Annotated[
        bool,
        typer.Option(
            "--create-customers", help="Create customers the file names that are not stored yet."
        ),
    ] = False,
    skip_anonymous: Annotated[
        bool,
        typer.Option(
            "--skip-anonymous",
            help="Leave out lines with no customer (else imported as anonymous sales).",
        ),
    ] = False,
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
    """Import purchase lines (customer code, date, amount…) from CSV/TSV; all or nothing."""
    env = get_env(ctx)
    env.stores_nothing = dry_run
    mapping, order, chosen_encoding = shared.resolve_options(
        env,
        kind="purchases",
        mapping=map_,
        order=date_order,
        encoding=encoding,
        profile=profile,
    )
    with shared.progress_bar(env, _("importing {name}").format(name=file.name)) as progress:
        shared.report(
            env,
            lambda: import_purchases(
                env.db,
                file,
                encoding=chosen_encoding,
                mapping=mapping,
                date_order=order,
                create_customers=create_customers,
                skip_anonymous=skip_anonymous,
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
        env, save_profile, kind="purchases", mapping=mapping, order=order, encoding=chosen_encoding
    )
