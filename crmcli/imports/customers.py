"""`customers import`: CSV/TSV files (any layout we recognise, or `--map`) and vCards.

Each row becomes a `Record`; a record is matched to a stored customer by shop code,
else normalised phone, else e-mail, then added, updated or left unchanged. Columns
with no field of their own are kept in the customer's `extra` JSON, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli import customer_fields, dates, names, phones
from crmcli.errors import InvalidValue, UsageError
from crmcli.export import excel_unsafe
from crmcli.i18n import M_
from crmcli.imports import (
    customer_store,
    evidence,
    file_dates,
    reading,
    vcards,
)
from crmcli.imports.customer_record import (
    Record,
    record_name,
    row_to_record,
)
from crmcli.imports.headers import (
    CUSTOMER_FIELDS,
    CUSTOMER_HEADERS,
    CUSTOMER_PAIRED,
    IGNORE,
    PURCHASE_HEADERS,
    Column,
    describe_unmapped,
    fold_header,
    map_columns,
    repeats,
)
from crmcli.imports.problems import RowProblem
from crmcli.imports.result import ImportResult, ProgressFn
from crmcli.text import nocase

if TYPE_CHECKING:
    from crmcli.engines import Engine

# --- the import -----------------------------------------------------------------------------


def import_customers(
    db: Engine,
    path: Path,
    *,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    date_order: dates.DateOrder | None = None,
    on_conflict: str = "fill",
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    replace_rejects: bool = False,
    progress: ProgressFn | None = None,
    region: str | None = None,
) -> ImportResult:
    """Import customers from a CSV/TSV file or a vCard file; one transaction.

    Phone numbers without a country code are read in `region`, else the file's own
    country (a row's country column, the code page, the column names), else the
    `phone.region` setting; the result's notes say which.
    """
    if on_conflict not in customer_store.ON_CONFLICT:
        raise UsageError(
            M_("--on-conflict must be one of {choices}").format(
                choices=", ".join(customer_store.ON_CONFLICT)
            )
        )
    if path.suffix.lower() in (".vcf", ".vcard"):
        info = reading.inspect_file(path, encoding=encoding or vcards.sniff_encoding(path))
        source = vcards.read_records(info)
        if region:  # --region wins over a card's own country
            source = (
                (line, cells, replace(item, region=None) if isinstance(item, Record) else item)
                for line, cells, item in source
            )
        return customer_store.import_records(
            db, info, source, headers=["line", "card", "name"], columns={}, unmapped=[],
            options=dict(on_conflict=on_conflict, region=region), on_conflict=on_conflict,
            dry_run=dry_run, skip_invalid=skip_invalid, rejects=rejects,
            replace_rejects=replace_rejects, progress=progress,
            region=evidence.import_region(db, region, encoding=info.encoding),
        )  # fmt: skip
    with reading.open_table(path, encoding=encoding) as table:
        columns, notes = map_customer_columns(table.headers, mapping or {}, path.name)
        orders = file_dates.column_orders(
            table,
            {c.index: c.key for c in columns if c.field in ("birthday", "anniversary")},
            date_order,
        )
        order_columns = _order_columns(columns)
        if order_columns:  # the sample first: a big order file is refused before any work
            _order_lines_check(
                path, order_columns, (_row_key(c, columns, orders) for c in table.sample)
            )

        # crmcli's own --excel export: its apostrophes before `=`, `+`… are not data
        own = customer_fields.is_own_export(table.headers)
        chosen_region = evidence.import_region(
            db, region, headers=table.headers, encoding=table.info.encoding
        )
        countries = [c.index for c in columns if evidence.is_country_header(c.header)]

        def records() -> Iterator[tuple[int, list[str], Record | RowProblem]]:
            for line, cells in table.rows():
                try:
                    read = [excel_unsafe(c) for c in cells] if own else cells
                    record = row_to_record(read, columns, orders)
                    if not region:  # a row's own country, unless --region says otherwise
                        record.region = _row_country(read, countries)
                    yield line, cells, record
                except RowProblem as problem:
                    yield line, cells, problem
                if progress is not None and line % 1000 == 0:
                    progress(table.position(), table.info.size)

        source = records()
        if order_columns:
            source = _watch_order_lines(source, path, order_columns)
        mapped = [c for c in columns if not c.header.strip().startswith(EXTRA_PREFIX)]
        return table.noted(
            customer_store.import_records(
                db,
                table.info,
                source,
                headers=table.headers,
                columns={c.key: c.field for c in columns},
                unmapped=describe_unmapped(mapped),
                notes=[*notes, *_repeats_said(mapped)],
                region=chosen_region,
                options={
                    "map": dict(mapping or {}),
                    "date_order": date_order,
                    "on_conflict": on_conflict,
                    "region": region,
                    "delimiter": table.delimiter,
                },
                on_conflict=on_conflict,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                rejects=rejects,
                replace_rejects=replace_rejects,
                progress=progress,  # its phases; the reading counts itself (records)
                estimated_rows=table.estimated_rows(),
            )
        )


EXTRA_PREFIX = customer_fields.EXTRA_PREFIX


def _row_country(cells: Sequence[str], indexes: Sequence[int]) -> str | None:
    """The region a row's country column names ('Japan', '日本', 'JP'), if it has one."""
    for i in indexes:
        if i < len(cells) and cells[i].strip():
            found = evidence.country_region(cells[i])
            if found:
                return found
    return None


def map_customer_columns(
    headers: Sequence[str], mapping: Mapping[str, str], file_name: str
) -> tuple[list[Column], list[str]]:
    """Each header's field; crmcli's own export is read back field by field.

    Its computed columns (id, tier, addressed_as, timestamps) are skipped, and its
    `extra.NAME` columns fill the extra field NAME. Returns the columns and a note.
    """
    known = dict(CUSTOMER_HEADERS)
    notes: list[str] = []
    if customer_fields.is_own_export(headers):
        computed = [f for f in customer_fields.COMPUTED if f in {h.strip() for h in headers}]
        known.update({fold_header(f): IGNORE for f in computed})
        if computed:
            notes.append(
                M_("crmcli's own export: computed {columns} not read back").format(
                    columns=", ".join(computed)
                )
            )
    columns = map_columns(
        headers,
        known=known,
        paired=CUSTOMER_PAIRED,
        fields=CUSTOMER_FIELDS,
        overrides=mapping,
        file_name=file_name,
        continue_blank=True,
    )
    out = []
    for col in columns:
        header = col.header.strip()
        if col.field is None and not col.explicit and header.startswith(EXTRA_PREFIX):
            col = col._replace(key=header[len(EXTRA_PREFIX) :])
        out.append(col)
    return out, notes


# --- order lines given to a customers import ------------------------------------------------

# What a purchase line has and a customer does not (read by the purchases import's names).
_ORDER_FIELDS = {"order_id", "line_id", "amount", "quantity", "unit_price", "item", "date"}
ORDER_REPEATS = 0.2  # this share of rows naming a customer an earlier row named: order lines


def _repeats_said(columns: Sequence[Column]) -> list[str]:
    return [
        M_("{column} is a second {field} column: kept as an extra field where it differs").format(
            column=column, field=field
        )
        for column, field in repeats(columns)
    ]


def _order_columns(columns: Sequence[Column]) -> list[str]:
    """The columns that look like an order's (two at least), else none."""
    found = [
        c.key
        for c in columns
        if c.field is None and PURCHASE_HEADERS.get(fold_header(c.header)) in _ORDER_FIELDS
    ]
    return found if len(found) >= 2 else []


def _row_key(
    cells: Sequence[str],
    columns: Sequence[Column],
    orders: Mapping[int, dates.DateOrder | None],
) -> str | None:
    try:
        return _record_key(row_to_record(cells, columns, orders))
    except RowProblem:
        return None


def _record_key(record: Record) -> str | None:
    """Who a row names, for counting repeats: code, else e-mail, else name, else phone."""
    f = record.fields
    if f.get("code"):
        return "c:" + str(f["code"])
    if f.get("email"):
        return "e:" + nocase(str(f["email"]))
    name = record_name(record)
    if name:
        return "n:" + names.fold(name)
    return "p:" + phones.digits(record.phones[0][0]) if record.phones else None


class _Repeats:
    """Counts the rows that name a customer an earlier row named (memory: one key each)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.rows = 0
        self.repeats = 0

    def add(self, key: str | None) -> None:
        if key is None:
            return
        self.rows += 1
        if key in self.seen:
            self.repeats += 1
        else:
            self.seen.add(key)

    def check(self, path: Path, order_columns: list[str], *, sample: bool = False) -> None:
        if self.repeats >= 2 and self.repeats >= ORDER_REPEATS * self.rows:
            if sample:
                rows = M_("the first {n:,} rows").format(n=self.rows)
            else:
                rows = M_("{n:,} rows").format(n=self.rows)
            raise InvalidValue(
                M_(
                    "this looks like order lines: crmcli purchases import {path} "
                    "--create-customers ({rows} name only {n:,} customers, with columns "
                    "{columns}); nothing was imported"
                ).format(
                    path=path, rows=rows, n=len(self.seen), columns=", ".join(order_columns[:4])
                )
            )


def _order_lines_check(path: Path, order_columns: list[str], keys: Iterable[str | None]) -> None:
    repeats = _Repeats()
    for key in keys:
        repeats.add(key)
    repeats.check(path, order_columns, sample=True)


def _watch_order_lines(
    source: Iterable[tuple[int, list[str], Record | RowProblem]],
    path: Path,
    order_columns: list[str],
) -> Iterator[tuple[int, list[str], Record | RowProblem]]:
    """Pass the rows on; at the end, refuse the file (rolling back) if it is order lines."""
    repeats = _Repeats()
    for item in source:
        if isinstance(item[2], Record):
            repeats.add(_record_key(item[2]))
        yield item
    repeats.check(path, order_columns)
