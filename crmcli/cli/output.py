"""One output layer for every command that prints records.

`--format table|csv|tsv|json|jsonl` and `--fields` are declared once here. Table on
a terminal, CSV with a header when piped; data on stdout; machine formats are
streamed row by row. Money arrives as `Decimal` and leaves exact.
"""

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


TABLE_CHUNK = 1000  # rows per rendered table: a terminal table streams too


def _table(
    env: Env,
    rows: Iterable[Mapping[str, Any]],
    fields: Sequence[str],
    headers: Mapping[str, str],
    money_places: int,
    title: str | None,
) -> int:
    """Render in chunks, so a long list streams; column widths come from the first chunk."""
    from itertools import islice

    from rich.cells import cell_len

    from crmcli.money import format_amount

    def cells(row: Mapping[str, Any]) -> list[str]:
        out = []
        for f in fields:
            value = row.get(f)
            if isinstance(value, Decimal):
                out.append(format_amount(int(value * 1_000_000), places=money_places))
            else:
                out.append(_text(value))
        return out

    iterator = iter(rows)
    first = list(islice(iterator, TABLE_CHUNK))
    numeric = {
        f
        for f in fields
        if first
        and all(isinstance(r.get(f), (int, Decimal)) or r.get(f) is None for r in first)
        and any(r.get(f) is not None for r in first)
    }
    out = console(env)
    chunk = [cells(r) for r in first]
    widths: list[int] | None = None
    if len(first) == TABLE_CHUNK:  # more may follow: fix the widths if they fit the screen
        natural = [
            max([cell_len(headers.get(f, f))] + [cell_len(c[i]) for c in chunk])
            for i, f in enumerate(fields)
        ]
        # Headroom for longer values further down (ids grow a digit, names get longer).
        roomy = [w + max(2, w // 4) for w in natural]
        if sum(roomy) + 3 * (len(fields) - 1) <= out.width:
            widths = roomy
    count = 0
    while chunk:
        out.print(_make_table(chunk, fields, headers, numeric, widths, title, header=count == 0))
        count += len(chunk)
        chunk = [cells(r) for r in islice(iterator, TABLE_CHUNK)]
    if count == 0:
        out.print(_make_table([], fields, headers, numeric, None, title, header=True))
    return count


def _make_table(
    chunk: list[list[str]],
    fields: Sequence[str],
    headers: Mapping[str, str],
    numeric: set[str],
    widths: list[int] | None,
    title: str | None,
    *,
    header: bool,
) -> Any:
    from rich.table import Table

    table = Table(
        title=title if header else None,
        header_style="bold",
        show_edge=False,
        pad_edge=False,
        show_header=header,
    )
    for i, f in enumerate(fields):
        # Identifiers (codes, phones, e-mails, dates, amounts) never wrap; prose does.
        table.add_column(
            headers.get(f, f),
            justify="right" if f in numeric else "left",
            # A value too wide for a fixed column: prose folds, an identifier shows "…"
            # (never a silently cropped id or phone).
            overflow="fold" if f in PROSE_FIELDS or not widths else "ellipsis",
            no_wrap=f not in PROSE_FIELDS,
            width=widths[i] if widths else None,
        )
    for row in chunk:
        table.add_row(*row)
    return table


def console(env: Env, *, stderr: bool = False) -> Any:
    """A rich Console on the Env's stream; honours NO_COLOR and the terminal's width."""
    from rich.console import Console

    stream = env.stderr if stderr else env.stdout
    return Console(file=stream, highlight=False, soft_wrap=False)


def stream(rows: Iterable[Mapping[str, Any]], convert: Any) -> Iterator[Mapping[str, Any]]:
    """Apply `convert` lazily, so machine formats keep streaming."""
    for row in rows:
        yield convert(row)
