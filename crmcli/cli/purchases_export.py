"""`crmcli purchases export`, added to the purchases group."""

from typing import Annotated

import typer

from crmcli import customers
from crmcli.cli.customers import emit_customers
from crmcli.cli.env import ForceOpt, OutputOpt, get_env
from crmcli.cli.output import Format, FormatOption, customer_fields_option
from crmcli.cli.purchases import app
from crmcli.dates import iso_date
from crmcli.errors import UsageError
from crmcli.export import PURCHASE_FIELDS, excel_row, purchase_rows
from crmcli.i18n import _


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
    fields: customer_fields_option(PURCHASE_FIELDS) = None,  # type: ignore[valid-type]
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
    rows = purchase_rows(
        db,
        customer_id=customers.resolve(db, ref) if ref else None,
        since=iso_date(since, what="--since") if since else None,
        until=iso_date(until, what="--until") if until else None,
    )
    out = env.to_file(output, force=force)
    if excel:
        if fmt not in (None, Format.csv):
            raise UsageError(_("--excel writes CSV; leave out --format or use --format csv"))
        out.stdout.write("\ufeff")
    emit_customers(  # the lines' own fields, and any customer field (phone, tags…)
        out,
        lambda _fetch: rows,
        fields=fields,
        fmt=Format.csv if excel else fmt or Format.csv,
        own=PURCHASE_FIELDS,
        default=PURCHASE_FIELDS,
        id_key="customer_id",
        after=excel_row if excel else None,
    )
