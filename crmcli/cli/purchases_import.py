"""`crmcli purchases import | export`, added to the purchases group."""

from typing import Annotated

import typer

from crmcli import customers, exports
from crmcli.cli import imports as shared
from crmcli.cli.customers import emit_customers
from crmcli.cli.env import ForceOpt, OutputOpt, get_env
from crmcli.cli.output import Format, FormatOption, customer_fields_option
from crmcli.cli.purchases import app
from crmcli.dates import iso_date
from crmcli.errors import UsageError
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
    mapping, order, chosen_encoding = shared.resolve_options(
        env,
        kind="purchases",
        mapping=map_,
        order=date_order,
        encoding=encoding,
        profile=profile,
        save_profile=save_profile,
    )
    with shared.progress_bar(env, f"importing {file.name}") as progress:
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


@app.command("export")
def export(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this customer's purchases.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date, YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this date, YYYY-MM-DD.")
    ] = None,
    fmt: FormatOption = None,
    fields: customer_fields_option(exports.PURCHASE_FIELDS) = None,  # type: ignore[valid-type]
    excel: Annotated[
        bool,
        typer.Option("--excel", help="CSV for spreadsheets: a BOM, and no cell runs as a formula."),
    ] = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Export purchase lines with every field, amounts exact (CSV/TSV/JSON/JSONL)."""
    env = get_env(ctx)
    db = env.read_db()
    rows = exports.purchase_rows(
        db,
        customer_id=customers.resolve(db, ref) if ref else None,
        since=iso_date(since, what="--since") if since else None,
        until=iso_date(until, what="--until") if until else None,
    )
    out = env.to_file(output, force=force)
    if excel:
        if fmt not in (None, Format.csv):
            raise UsageError("--excel writes CSV; leave out --format or use --format csv")
        out.stdout.write("\ufeff")
    emit_customers(  # the lines' own fields, and any customer field (phone, tags…)
        out,
        lambda _fetch: rows,
        fields=fields,
        fmt=Format.csv if excel else fmt or Format.csv,
        own=exports.PURCHASE_FIELDS,
        default=exports.PURCHASE_FIELDS,
        id_key="customer_id",
        after=exports.excel_row if excel else None,
    )
