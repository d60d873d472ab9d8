"""One output layer for every command that prints records.

`--format table|csv|tsv|json|jsonl` and `--fields` are declared once here. Table on
a terminal, CSV with a header when piped; data on stdout; machine formats are
streamed row by row. Money arrives as `Decimal` and leaves exact; JSON is written
one way everywhere (cli/json_encoding.py).
"""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from typing import Annotated, Any

import typer

from crmcli.cli import screen, table
from crmcli.cli.env import Env
from crmcli.cli.json_encoding import row_to_json, to_json
from crmcli.cli.table import Column
from crmcli.errors import InvalidValue, UsageError
from crmcli.i18n import _, ngettext, said

# Columns of running text, which may wrap on a narrow terminal; every other column
# (ids, codes, phones, e-mails, dates, amounts) is kept on one line.
PROSE_FIELDS = frozenset(
    {
        "name", "customer_name", "customer", "notes", "note", "address", "item", "items",
        "category", "summary", "why", "message", "help", "tags", "anniversary", "lesson",
        "resolution", "cause_detail", "occupation", "salutation", "holiday", "title", "benefit",
        "rrule",  # in a table, the rule in words
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


def fields_option(allowed: Iterable[str], *, more: str = "") -> Any:
    """`--fields`, its help naming every field the command can print (so --help is the list)."""
    return Annotated[
        str | None,
        typer.Option(
            "--fields",
            help=said(
                "Comma-separated columns to show, in order, from: {fields}.",
                fields=", ".join(allowed) + more,
            ),
            show_default=False,
        ),
    ]


def customer_fields_option(own: Sequence[str] = ()) -> Any:
    """`--fields` of a listing of customers: its own columns and every customer field."""
    from crmcli import customer_fields

    names = [*own, *(n for n in customer_fields.NAMES if n not in own)]
    return fields_option(names, more=f", {customer_fields.EXTRA_PREFIX}NAME")


def pick_fields(fields: str | None, *, allowed: Sequence[str], default: Sequence[str]) -> list[str]:
    """The columns `--fields` names, checked against `allowed`; `default` without it."""
    if fields is None:
        return list(default)
    chosen = [f.strip() for f in fields.split(",") if f.strip()]
    if not chosen:  # `--fields ''` or `--fields ,,,`: rows of nothing help no one
        raise UsageError(
            _("--fields names no field (got {value}); choose from: {fields}").format(
                value=repr(fields), fields=", ".join(allowed)
            )
        )
    unknown = [f for f in chosen if f not in allowed]
    if unknown:
        raise InvalidValue(
            ngettext(
                "unknown field {unknown}; choose from: {fields}",
                "unknown fields {unknown}; choose from: {fields}",
                len(unknown),
            ).format(unknown=", ".join(unknown), fields=", ".join(allowed))
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


def _safe_text(stream: Any) -> Any:
    return lambda value: screen.for_person(_text(value), stream, newlines=True)


def print_json(env: Env, data: Any, *, indent: int | None) -> None:
    """One JSON document (a page, a report), in the one encoding (cli/json_encoding.py)."""
    print(to_json(data, stream=env.stdout, indent=indent), file=env.stdout)


def emit(
    env: Env,
    rows: Iterable[Mapping[str, Any]],
    *,
    fields: Sequence[str],
    fmt: Format | None,
    headers: Mapping[str, str] | None = None,
    money_places: int = 2,
    title: str | None = None,
    identify: Sequence[str] | None = None,
    shown_as: Mapping[str, Any] | None = None,
    keep: Sequence[str] = (),
    under: Mapping[str, str] | None = None,
    plain: bool = False,
    empty: str | None = None,
) -> int:
    """Write `rows` (only `fields`, in order) in the chosen format; returns the count.

    No rows: a table draws nothing, not a header over nothing, and the person is told
    `empty` (what is missing, in the listing's words) or that there is nothing to
    list; CSV keeps its header and JSON its `[]` for the program reading them, and
    `empty`, when given, is said beside them on stderr.

    `identify`: the columns that name the record, for a table (default IDENTIFYING).
    `shown_as`: field → function giving a person's words for a value, in a table only
    (a recurrence rule in words; CSV and JSON keep the value itself).
    `keep`: on a narrow terminal, the columns a reader needs, kept first after the
    identifying ones; `under`: column → the column whose cell it may go under to keep them.
    `plain`: the caller's promise that every row has every field, each text, a whole
    number or None (never money): piped CSV is then written without a Python call
    per value (`crmcli due` prints a quarter of a million lines at a million customers).
    """
    chosen = resolve_format(env, fmt)
    target = env.stdout
    if chosen is Format.table:
        count = _table(
            env,
            _shown_rows(rows, shown_as),
            fields,
            headers or {},
            money_places,
            title,
            identify,
            keep,
            under,
        )
        target.flush()
        if not count:
            env.say(empty or _("nothing to list"))
        return count
    # The first row is read before the header is written: a refusal raised while the
    # rows are gathered (a bad option checked by the query) leaves stdout empty.
    rows = iter(rows)
    first = next(rows, None)
    rows = itertools.chain((first,), rows) if first is not None else iter(())
    # A person watching a terminal sees each row as it comes; a pipe gets blocks.
    out = target if env.stdout_isatty else _Blocks(target)
    try:
        count = _machine(env, out, rows, fields=fields, chosen=chosen, plain=plain)
    finally:
        out.flush()  # what was written before a failure is not held back
    if not count and empty:
        env.say(empty)
    return count


def _shown_rows(
    rows: Iterable[Mapping[str, Any]], shown_as: Mapping[str, Any] | None
) -> Iterable[Mapping[str, Any]]:
    return stream(rows, lambda r: _shown(r, shown_as)) if shown_as else rows


def _machine(
    env: Env,
    out: Any,
    rows: Iterable[Mapping[str, Any]],
    *,
    fields: Sequence[str],
    chosen: Format,
    plain: bool = False,
) -> int:
    """CSV, TSV, JSON or JSONL, row by row."""
    target = env.stdout
    count = 0
    # Piped, a block is passed on once it is full (`_Blocks`); on a terminal each row
    # goes as it comes.
    spill = out.spill if isinstance(out, _Blocks) else _nothing
    if chosen in (Format.csv, Format.tsv):
        writer = csv.writer(
            out, delimiter="," if chosen is Format.csv else "\t", lineterminator="\n"
        )
        writer.writerow(fields)
        # Piped, CSV carries the data as stored; shown on a terminal, it is read by a
        # person whose terminal must not obey an escape sequence hidden in a name.
        if env.stdout_isatty:
            text = _safe_text(target)
            for row in rows:
                writer.writerow([text(row.get(f)) for f in fields])
                count += 1
        elif plain:
            # csv writes text, whole numbers and None as `_text` does: the rows go to
            # it whole, a batch at a time, each one's fields picked in C; no Python
            # call per row or value.
            pick = itemgetter(*fields) if len(fields) > 1 else lambda row: (row[fields[0]],)
            rows = iter(rows)
            while batch := list(itertools.islice(rows, PLAIN_BATCH)):
                writer.writerows(map(pick, batch))
                count += len(batch)
                spill()
        else:
            # Most values are text already: only the others are converted (a
            # quarter of a million agenda lines spent a fifth of their time here).
            for row in rows:
                writer.writerow(
                    [v if v.__class__ is str else _text(v) for v in map(row.get, fields)]
                )
                count += 1
                spill()
    elif chosen is Format.jsonl:
        for row in rows:
            out.write(row_to_json(row, fields, stream=target) + "\n")
            count += 1
            spill()
    elif chosen is Format.json:
        out.write("[")
        for row in rows:
            out.write(("\n  " if count == 0 else ",\n  ") + row_to_json(row, fields, stream=target))
            count += 1
            spill()
        out.write("\n]\n" if count else "]\n")
    return count


def _nothing() -> None:
    pass


class _Blocks:
    """Rows written to a stream in blocks of about `BLOCK` characters.

    With PYTHONUNBUFFERED set (many containers and CI runners set it) every row would be
    a write of its own: a quarter of a million system calls for a big agenda. A block
    at a time still streams (`crmcli due | head` stops after the first). The rows are
    written into a string buffer by C code (`write` is the buffer's own: a Python
    method here was a call per row, a twentieth of a big agenda's time); the writer
    says when a row or a batch is done (`spill`), and a full block is passed on.
    """

    def __init__(self, out: Any) -> None:
        self.out = out
        self.buffer = io.StringIO()
        self.write = self.buffer.write

    def spill(self) -> None:
        if self.buffer.tell() >= BLOCK:
            self._pass_on()

    def flush(self) -> None:
        self._pass_on()
        self.out.flush()

    def _pass_on(self) -> None:
        text = self.buffer.getvalue()
        if text:
            self.out.write(text)
            self.buffer.seek(0)
            self.buffer.truncate()


BLOCK = 64 * 1024
PLAIN_BATCH = 500  # plain rows handed to the CSV writer at a time
TABLE_CHUNK = 1000  # rows per rendered block: a terminal table streams too

# Columns that name the record a row is about: never narrower than their content, and
# never left out (`identify=` on `emit` names others for one command).
IDENTIFYING = frozenset(
    {
        "id",
        "ref",
        "code",
        "name",
        "key",
        "customer",
        "customer_code",
        "customer_name",
        "complaint_id",
        "import_id",
    }
)


def _roles(
    fields: Sequence[str],
    first: list[Mapping[str, Any]],
    headers: Mapping[str, str],
    identify: Sequence[str] | None,
) -> list[Column]:
    from crmcli.cli.i18n import header

    keys = set(identify) if identify is not None else IDENTIFYING
    columns = []
    for f in fields:
        values = [r.get(f) for r in first]
        numeric = any(v is not None for v in values) and all(
            (isinstance(v, (int, Decimal)) and not isinstance(v, bool)) or v is None for v in values
        )
        if f in keys:
            role = table.KEY
        elif numeric:
            role = table.NUMBER
        elif f in PROSE_FIELDS:
            role = table.PROSE
        else:
            role = table.OTHER
        label = _(headers[f]) if f in headers else header(f)  # the person's words, not the key
        columns.append(table.Column(f, label, role, right=numeric))
    return columns


def _table(
    env: Env,
    rows: Iterable[Mapping[str, Any]],
    fields: Sequence[str],
    headers: Mapping[str, str],
    money_places: int,
    title: str | None,
    identify: Sequence[str] | None,
    keep: Sequence[str] = (),
    under: Mapping[str, str] | None = None,
) -> int:
    """Draw rows as a table fitted to the terminal, in blocks so a long list streams."""
    from itertools import islice

    from crmcli.cli.i18n import shown_value
    from crmcli.money import Money, format_amount

    out = env.stdout

    def cell(field: str, value: Any) -> str:
        # Money with the currency's places (1,234.50); a share or a day count as it is.
        value = shown_value(field, value)  # a kind or a stage in the person's language
        if isinstance(value, Money):
            value = format_amount(int(value * 1_000_000), places=money_places)
        return screen.for_person(_text(value), out, newlines=True)

    def write(line: str) -> None:
        out.write(screen.encodable(line, out) + "\n")

    iterator = iter(rows)
    first = list(islice(iterator, TABLE_CHUNK))
    columns = _roles(fields, first, headers, identify)
    width = screen.width(out)
    bold = screen.colour(out)
    box = table.UNICODE if screen.is_unicode(out) else table.ASCII
    chunk = [[cell(f, r.get(f)) for f in fields] for r in first]
    lay = table.layout(
        columns, chunk, width, more=len(first) == TABLE_CHUNK, keep=keep, under=under
    )
    index = {f: i for i, f in enumerate(fields)}
    if title:
        for line in table.wrap(screen.for_person(title, out), width):
            write(line)
    count = 0
    while chunk:
        for row in chunk:
            if lay.vertical:
                if count:
                    write("")
                for line in table.record_lines(columns, row, width, bold=bold):
                    write(line)
            else:
                if count == 0:
                    for line in table.header_lines(lay, box, bold=bold):
                        write(line)
                for line in table.row_lines(lay, row, index, box):
                    write(line)
            count += 1
        chunk = [[cell(f, r.get(f)) for f in fields] for r in islice(iterator, TABLE_CHUNK)]
    if lay.hidden and count:
        for line in table.wrap(table.hidden_note(lay.hidden), width):
            write(line)
    return count


def console(env: Env, *, stderr: bool = False) -> Any:
    """A rich Console on the Env's stream; honours NO_COLOR and the terminal's width."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich exits 1 on a closed pipe; `crmcli … | head -1` has what it wanted: the
            # root handler turns this into a quiet exit 0.
            raise BrokenPipeError

    stream = env.stderr if stderr else env.stdout
    # NO_COLOR (or no terminal): no styles at all, as the table layer does.
    plain = {} if screen.colour(stream) else {"color_system": None}
    return _Console(
        file=stream, highlight=False, soft_wrap=False, width=screen.width(stream), **plain
    )


def _shown(row: Mapping[str, Any], shown_as: Mapping[str, Any]) -> Mapping[str, Any]:
    return {
        **row,
        **{f: convert(row[f]) for f, convert in shown_as.items() if row.get(f) is not None},
    }


def stream(rows: Iterable[Mapping[str, Any]], convert: Any) -> Iterator[Mapping[str, Any]]:
    """Apply `convert` lazily, so machine formats keep streaming."""
    for row in rows:
        yield convert(row)
