"""`crmcli customers export`, added to the customers group."""

from functools import partial
from typing import Annotated

import typer

from crmcli import customers
from crmcli.cli.customers import _customer_rows, app, emit_customers
from crmcli.cli.env import ForceOpt, OutputOpt, get_env
from crmcli.cli.output import (
    Format,
    FormatOption,
    customer_fields_option,
)
from crmcli.errors import UsageError
from crmcli.export import CUSTOMER_FIELDS, customer_records, excel_row
from crmcli.i18n import _


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
            raise UsageError(_("--vcard writes vCards; it takes no --format, --fields or --excel"))
        from crmcli import vcard

        vcard.write_vcards(customer_records(db, tag=tag), env.stdout)
        return
    if excel:
        if fmt not in (None, Format.csv):
            raise UsageError(_("--excel writes CSV; leave out --format or use --format csv"))
        env.stdout.write("\ufeff")
    emit_customers(
        env,
        _customer_rows(partial(customers.rows, db, tag=tag)),
        fields=fields,
        fmt=Format.csv if excel else fmt or Format.csv,
        default=CUSTOMER_FIELDS,
        extra_keys=lambda: customers.extra_keys(db, tag=tag),
        after=excel_row if excel else None,
    )
