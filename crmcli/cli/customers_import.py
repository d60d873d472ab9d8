"""`crmcli customers import | export | dupes | merge`, added to the customers group."""

from functools import partial
from typing import Annotated

import typer

from crmcli import customers, exports, merge
from crmcli.cli import imports as shared
from crmcli.cli.customers import _customer_rows, app, emit_customers
from crmcli.cli.env import ForceOpt, OutputOpt, get_env
from crmcli.cli.output import (
    Format,
    FormatOption,
    customer_fields_option,
    emit,
    fields_option,
    pick_fields,
)
from crmcli.errors import UsageError
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
    mapping, order, chosen_encoding = shared.resolve_options(
        env,
        kind="customers",
        mapping=map_,
        order=date_order,
        encoding=encoding,
        profile=profile,
        save_profile=save_profile,
    )
    with shared.progress_bar(env, f"importing {file.name}") as progress:
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


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: customer_fields_option() = None,  # type: ignore[valid-type]
    vcard: Annotated[
        bool, typer.Option("--vcard", help="Write vCard 3.0 (birthdays, anniversaries, lunar).")
    ] = False,
    excel: Annotated[
        bool,
        typer.Option("--excel", help="CSV for spreadsheets: a BOM, and no cell runs as a formula."),
    ] = False,
    tag: Annotated[str | None, typer.Option("--tag", help="Only customers with this tag.")] = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Export every customer with every field: CSV/TSV/JSON/JSONL, --excel, or vCards."""
    env = get_env(ctx)
    db = env.read_db()
    env = env.to_file(output, force=force)
    if vcard:
        if excel or fmt or fields:
            raise UsageError("--vcard writes vCards; it takes no --format, --fields or --excel")
        from crmcli import vcard

        vcard.write_vcards(exports.customer_records(db, tag=tag), env.stdout)
        return
    if excel:
        if fmt not in (None, Format.csv):
            raise UsageError("--excel writes CSV; leave out --format or use --format csv")
        env.stdout.write("\ufeff")
    emit_customers(
        env,
        _customer_rows(partial(customers.rows, db, tag=tag)),
        fields=fields,
        fmt=Format.csv if excel else fmt or Format.csv,
        default=exports.CUSTOMER_FIELDS,
        extra_keys=lambda: customers.extra_keys(db, tag=tag),
        after=exports.excel_row if excel else None,
    )


@app.command("dupes")
def dupes(
    ctx: typer.Context,
    threshold: Annotated[
        int, typer.Option("--threshold", help="How alike names must be, 1-100.")
    ] = merge.DEFAULT_THRESHOLD,
    fmt: FormatOption = None,
    fields: fields_option(merge.DUPE_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List likely duplicates: a shared phone or e-mail, or names nearly alike."""
    env = get_env(ctx)
    db = env.read_db()
    pairs = list(merge.find(db, threshold=threshold))
    ids = sorted({i for p in pairs for i in (p.a, p.b)})
    labels = {r["id"]: r["name"] or r["code"] or "" for r in customers.rows(db, ids=ids)}
    chosen = pick_fields(fields, allowed=merge.DUPE_FIELDS, default=merge.DUPE_FIELDS)
    emit(env, (p.row(labels) for p in pairs), fields=chosen, fmt=fmt)
    if not pairs:
        env.say("no likely duplicates")


@app.command("merge")
def merge_(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The customer to keep (code, id, phone, e-mail).")],
    other: Annotated[str, typer.Argument(help="The customer merged into it, then removed.")],
) -> None:
    """Merge OTHER into KEEP: purchases, complaints, follow-ups, contacts, tags, phones, dates."""
    env = get_env(ctx)
    db = env.db
    result = merge.merge(db, customers.resolve(db, keep), customers.resolve(db, other))
    moved = ", ".join(f"{n} {table}" for table, n in sorted(result.moved.items()) if n) or "nothing"
    env.say(
        f"merged customer #{result.merged} into #{result.kept} (moved {moved}); "
        f"the merged record is kept as snapshot #{result.merge_id} in customer_merges"
    )
