"""One output layer for every command that prints records.

`--format table|csv|tsv|json|jsonl` and `--fields` are declared once here. Table on
a terminal, CSV with a header when piped; data on stdout; machine formats are
streamed row by row. Money arrives as `Decimal` and leaves exact.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import typer

from crmcli.cli.env import Env
from crmcli.errors import InvalidValue

# Columns of running text, which may wrap on a narrow terminal; every other column
# (ids, codes, phones, e-mails, dates, amounts) is kept on one line.
PROSE_FIELDS = frozenset(
    {
        "name", "customer_name", "customer", "notes", "note", "address", "item", "items",
        "category", "summary", "why", "message", "help", "tags", "anniversary", "lesson",
        "resolution", "cause_detail", "occupation", "salutation", "holiday", "title",
    }
)  # fmt: skip


class Format(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format; default: table on a terminal, csv when piped.",
        case_sensitive=False,
    ),
]
FieldsOption = Annotated[
    str | None,
    typer.Option("--fields", help="Comma-separated columns to show, in order."),
]


def pick_fields(fields: str | None, *, allowed: Sequence[str], default: Sequence[str]) -> list[str]:
    if not fields:
        return list(default)
    chosen = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in allowed]
    if unknown:
        raise InvalidValue(
            f"unknown field(s) {', '.join(unknown)}; choose from: {', '.join(allowed)}"
        )
    return chosen


def resolve_format(env: Env, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    return Format.table if env.stdout_isatty else Format.csv


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"  # an exact JSON number, never a rounded float
    return json.dumps(value, ensure_ascii=False)


def _json_object(row: Mapping[str, Any], fields: Sequence[str]) -> str:
    return "{" + ", ".join(f"{json.dumps(f)}: {_json_value(row.get(f))}" for f in fields) + "}"


def emit(
    env: Env,
    rows: Iterable[Mapping[str, Any]],
    *,
    fields: Sequence[str],
    fmt: Format | None,
    headers: Mapping[str, str] | None = None,
    money_places: int = 2,
    title: str | None = None,
) -> int:
    """Write `rows` (only `fields`, in order) in the chosen format; returns the count."""
    chosen = resolve_format(env, fmt)
    out = env.stdout
    count = 0
    if chosen in (Format.csv, Format.tsv):
        writer = csv.writer(
            out, delimiter="," if chosen is Format.csv else "\t", lineterminator="\n"
        )
        writer.writerow(fields)
        for row in rows:
            writer.writerow([_text(row.get(f)) for f in fields])
            count += 1
    elif chosen is Format.jsonl:
        for row in rows:
            out.write(_json_object(row, fields) + "\n")
            count += 1
    elif chosen is Format.json:
        out.write("[")
        for row in rows:
            out.write(("\n  " if count == 0 else ",\n  ") + _json_object(row, fields))
            count += 1
        out.write("\n]\n" if count else "]\n")
    else:
        count = _table(env, rows, fields, headers or {}, money_places, title)
    out.flush()
    return count


def _table(
    env: Env,
    rows: Iterable[Mapping[str, Any]],
    fields: Sequence[str],
    headers: Mapping[str, str],
    money_places: int,
    title: str | None,
) -> int:
    from rich.table import Table

    from crmcli.money import format_amount

    materialised = list(rows)
    table = Table(title=title, header_style="bold", show_edge=False, pad_edge=False)
    numeric = {
        f
        for f in fields
        if materialised
        and all(isinstance(r.get(f), (int, Decimal)) or r.get(f) is None for r in materialised)
        and any(r.get(f) is not None for r in materialised)
    }
    for f in fields:
        # Identifiers (codes, phones, e-mails, dates, amounts) never wrap; prose does.
        table.add_column(
            headers.get(f, f),
            justify="right" if f in numeric else "left",
            overflow="fold",
            no_wrap=f not in PROSE_FIELDS,
        )
    for row in materialised:
        cells = []
        for f in fields:
            value = row.get(f)
            if isinstance(value, Decimal):
                cells.append(format_amount(int(value * 1_000_000), places=money_places))
            else:
                cells.append(_text(value))
        table.add_row(*cells)
    console(env).print(table)
    return len(materialised)


def console(env: Env, *, stderr: bool = False) -> Any:
    """A rich Console on the Env's stream; honours NO_COLOR and the terminal's width."""
    from rich.console import Console

    stream = env.stderr if stderr else env.stdout
    return Console(file=stream, highlight=False, soft_wrap=False)


def stream(rows: Iterable[Mapping[str, Any]], convert: Any) -> Iterator[Mapping[str, Any]]:
    """Apply `convert` lazily, so machine formats keep streaming."""
    for row in rows:
        yield convert(row)
