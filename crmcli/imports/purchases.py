"""`purchases import`: order lines from CSV/TSV files, fast, exact and idempotent.

Built for a million lines: customer codes are resolved through a dict loaded once,
ISO dates and plain amounts take fast paths, rows go in with `executemany` in batches,
and nothing per row is kept. A line's identity (`line_key`) makes re-imports change
nothing: the file's line id where it has one; else its order id and the line's
position in that order (two identical-looking lines of one order are both real);
else the file's sha256 and the line number, so the same file imported again is
recognised line by line.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import customers, dates, money
from crmcli.errors import InvalidValue
from crmcli.i18n import M_
from crmcli.imports import evidence, file_dates, journal, reading
from crmcli.imports import undo as import_undo
from crmcli.imports.headers import (
    IGNORE,
    PURCHASE_FIELDS,
    PURCHASE_HEADERS,
    describe_unmapped,
    map_columns,
)
from crmcli.imports.problems import Problems, RejectsWriter, RowProblem, rejects_path
from crmcli.imports.result import Counts, DryRun, ImportResult, ProgressFn, Unchanged
from crmcli.money import parse_amount

BATCH = 5_000
# A big import (that outweighs the table) builds purchases' secondary indexes once, after.
INDEX_UPKEEP = journal.Upkeep(("purchases",), min_rows=50_000, share=1.0, indexes=True)
CACHE_KIB = 32_768  # 32 MiB of page cache while importing
_COLUMNS = (
    "customer_id", "date", "amount_micros", "quantity", "unit_price_micros", "order_id",
    "line_id", "line_no", "line_key", "item", "category", "delivery_date", "note",
)  # fmt: skip

if TYPE_CHECKING:
    from crmcli.engines import Engine


# Where an optional column's value stands in a row `read_line` returns (and so in the
# insert statement), for the columns the file has.
_OPTIONAL_AT = {
    "quantity": 3,
    "unit_price": 4,
    "order_id": 5,
    "line_id": 6,
    "item": 9,
    "category": 10,
    "delivery_date": 11,
    "note": 12,
}


class _Insert(NamedTuple):
    """How a batch goes in (`Engine.insert_new`): the columns the file has (each bound
    value costs time) and what is the same for every row (written once, not bound)."""

    columns: tuple[str, ...]
    pick: Callable[[tuple[Any, ...]], Any]
    fixed: dict[str, int | str]


def _insert_statement(present: Sequence[int], import_id: int, now: str) -> _Insert:
    return _Insert(
        tuple(_COLUMNS[i] for i in present),
        itemgetter(*present),
        {"import_id": int(import_id), "created_at": now},
    )


# The stored columns a re-imported line is compared on (the tuple's positions 0-12).
_COMPARED = (
    "customer_id, date, amount_micros, quantity, unit_price_micros, order_id, line_id,"
    " line_no, line_key, item, category, delivery_date, note"
)


NOT_STORED = M_("name customers who are not in the database: add --create-customers")
BEYOND = M_("amount is beyond {most}")


def _amount(text: str, decimal_comma: bool, column: str) -> int:
    """Micro-units; '123.45' and '-3' take a fast path, anything else `parse_amount`.

    ASCII digits only: `isdigit` alone takes '²', which `int` refuses (a traceback once);
    other digits (full-width, Arabic-Indic) are `parse_amount`'s to read or refuse.
    """
    whole, dot, frac = text.partition(".")
    negative = whole[:1] == "-"
    digits = whole[1:] if negative else whole
    plain = text.isascii() and digits.isdigit() and (not dot or frac.isdigit())
    if plain and len(digits) < 14 and len(frac) <= 6:
        micros = int(digits) * 1_000_000 + (int(frac.ljust(6, "0")) if dot else 0)
        if micros > money.MAX_AMOUNT_MICROS:
            raise RowProblem(column, BEYOND.format(most=f"{money.MAX_AMOUNT:,}"))
        return -micros if negative else micros
    try:
        return parse_amount(text, decimal_comma=decimal_comma or None)
    except InvalidValue as exc:
        raise RowProblem(column, str(exc)) from None


def _quantity(text: str, decimal_comma: bool, column: str) -> int | Decimal:
    try:  # finite and bounded: NaN, inf and 1e20 are refused by line and column
        return money.parse_quantity(text, decimal_comma=decimal_comma)
    except InvalidValue as exc:
        raise RowProblem(column, str(exc)) from None


def _stored(value: Any) -> Any:
    """A value as SQLite gives it back (NUMERIC quantities come back int or float)."""
    if isinstance(value, Decimal):
        return float(value)
    return value


class _Customers:
    """Customer codes → ids: a bounded cache in front of the code index.

    The cache holds the codes met so far (buyers repeat: a few customers place most
    lines), up to CODES; past that it starts over, so memory stays flat however many
    customers the shop has. A shop of at most CODES coded customers is read in one
    query when the file is likely to name a good share of them (`lines` at least the
    number of codes), or when each lookup would be a round trip to a server: a query
    per code met cost more than the whole read (100k customers: 0.5 s against 0.1 s).
    """

    CODES = 100_000  # ~13 MB of codes and ids at most

    def __init__(
        self,
        db: Engine,
        *,
        create: bool,
        import_id: int,
        region: evidence.RegionChoice | None = None,
        lines: int = 0,
    ) -> None:
        self.db = db
        self.create = create
        self.import_id = import_id
        self.region = region
        self.ids: dict[str, int] = {}
        self.misses: dict[str, tuple[str, str]] = {}  # ref → why it is not a customer
        self.created = 0
        # Counted no further than it matters: a day's file into a big shop counts a few.
        most = self.CODES if db.remote else min(lines, self.CODES)
        codes = db.execute(
            "SELECT count(*) FROM"
            " (SELECT 1 FROM customers WHERE code IS NOT NULL LIMIT ?) AS coded",
            [most + 1],
        ).fetchone()[0]
        if codes <= most:
            self.ids.update(db.execute("SELECT code, id FROM customers WHERE code IS NOT NULL"))

    def lookup(
        self, ref: str, name: str | None, column: str, phone: str = "", country: str | None = None
    ) -> int:
        """A code not in the cache: a stored code, an e-mail, a new customer, or a problem."""
        if ref in self.misses:
            message, reason = self.misses[ref]
            raise RowProblem(column, message, reason=reason)
        if len(self.ids) >= self.CODES:
            self.ids.clear()
        row = self.db.execute("SELECT id FROM customers WHERE code = ?", [ref]).fetchone()
        if row is not None:
            self.ids[ref] = int(row[0])
            return int(row[0])
        if len(self.misses) >= self.CODES:
            self.misses.clear()
        # Only codes (and e-mails) name customers here: a numeric code must never be
        # taken for an internal id or a phone number.
        found = []
        if "@" in ref:
            found = [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM customers WHERE email = ? COLLATE NOCASE", [ref]
                )
            ]
        if len(found) == 1:
            cid = int(found[0])
        elif found:
            self.misses[ref] = (
                M_("{ref!r} is the e-mail of {n} customers").format(ref=ref, n=len(found)),
                M_("name an e-mail that several customers share: use their codes"),
            )
            raise RowProblem(column, self.misses[ref][0], reason=self.misses[ref][1])
        elif self.create:
            try:
                cid = customers.add(self.db, code=ref, name=name or None)
                if phone and self.region is not None:
                    customers.add_phones(
                        self.db,
                        cid,
                        [phone],
                        region=country or self.region.region,
                        keep_region=self.region.explicit or country is not None,
                    )
            except InvalidValue as exc:
                raise RowProblem(column, str(exc)) from None
            state = import_undo.states(self.db, [cid])[cid]
            journal.record_change(
                self.db,
                self.import_id,
                "customers",
                cid,
                "insert",
                after={"digest": import_undo.digest(state)},
            )
            self.created += 1
        else:
            self.misses[ref] = (
                M_(
                    "no customer with code {ref!r}"
                    " (import customers first, or use --create-customers)"
                ).format(ref=ref),
                NOT_STORED,
            )
            raise RowProblem(column, self.misses[ref][0], reason=NOT_STORED)
        self.ids[ref] = cid
        return cid


def import_purchases(
    db: Engine,
    path: Path,
    *,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    date_order: dates.DateOrder | None = None,
    create_customers: bool = False,
    skip_anonymous: bool = False,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    replace_rejects: bool = False,
    progress: ProgressFn | None = None,
    region: str | None = None,
) -> ImportResult:
    """Import purchase lines from a CSV/TSV file; one transaction, all or nothing.

    A customer it creates (`create_customers`) gets the line's phone number, read in
    `region`, else the row's or the file's own country, else the `phone.region` setting.
    """
    with reading.open_table(path, encoding=encoding) as table:
        columns = map_columns(
            table.headers,
            known=PURCHASE_HEADERS,
            paired={},
            fields=PURCHASE_FIELDS,
            overrides=mapping or {},
            file_name=path.name,
        )
        index: dict[str, int] = {}
        for col in columns:
            if col.field and col.field != IGNORE:
                if col.field in index:
                    raise InvalidValue(
                        f"{path.name}: columns {table.headers[index[col.field]]!r} and "
                        f"{col.header!r} are both {col.field}; --map one of them to ignore"
                    )
                index[col.field] = col.index
        missing = [f for f in ("customer", "date") if f not in index]
        if "amount" not in index and not {"quantity", "unit_price"} <= set(index):
            missing.append("amount (or quantity and unit_price)")
        if missing:
            raise InvalidValue(
                f"{path.name}: no column for {', '.join(missing)}; found {', '.join(table.headers)}"
                " — name them with --map SOURCE=FIELD"
            )
        orders = file_dates.column_orders(
            table,
            {index[k]: table.headers[index[k]] for k in ("date", "delivery_date") if k in index},
            date_order,
        )
        result = ImportResult(
            kind="purchases",
            file=path.name,
            encoding=table.info.encoding,
            counts=Counts(),
            dry_run=dry_run,
            columns={c.key: c.field for c in columns},
            unmapped=describe_unmapped(columns),
        )
        options = {
            "map": dict(mapping or {}),
            "date_order": date_order,
            "create_customers": create_customers,
            "skip_anonymous": skip_anonymous,
            "delimiter": table.delimiter,
            "region": region and evidence.check_region(region),
        }
        return table.noted(
            _run(
                db,
                table,
                index,
                orders,
                result,
                options=options,
                create_customers=create_customers,
                skip_anonymous=skip_anonymous,
                skip_invalid=skip_invalid,
                rejects=rejects,
                replace_rejects=replace_rejects,
                progress=progress,
            )
        )


def _run(
    db: Engine,
    table: reading.Table,
    index: dict[str, int],
    orders: dict[int, dates.DateOrder | None],
    result: ImportResult,
    *,
    options: Mapping[str, Any],
    create_customers: bool,
    skip_anonymous: bool,
    skip_invalid: bool,
    rejects: Path | None,
    progress: ProgressFn | None,
    replace_rejects: bool = False,
) -> ImportResult:
    info = table.info
    name = info.path.name
    problems = Problems(name)
    counts = result.counts
    dry_run = result.dry_run
    writer: RejectsWriter | None = None
    if skip_invalid and not dry_run:
        writer = RejectsWriter(
            rejects or rejects_path(info.path),
            table.headers,
            db=db,
            source=info.path,
            force=replace_rejects,
        )
    header = table.headers
    ci = index["customer"]
    phi = index.get("customer_phone")
    options_region = evidence.import_region(
        db, options.get("region"), headers=table.headers, encoding=table.info.encoding
    )
    region_given = bool(options.get("region"))
    countries = [i for i, h in enumerate(table.headers) if evidence.is_country_header(h)]
    if phi is not None and create_customers:
        result.notes.append(options_region.note())
    width = max(index.values()) + 1
    now = dates.now_utc()
    # A bigger page cache keeps the indexes' random inserts in memory instead of
    # spilling pages to the WAL again and again (bounded: part of the 150 MB budget).
    cache = db.set_cache_size(CACHE_KIB)
    try:
        # Every customer id a line names was just read from `customers` (or the customer
        # just added), and the import's own row just inserted, in the same transaction:
        # checking both for each of a million lines was a quarter of the insert.
        with _collector_paused(), db.references_unchecked(), db.write(), ExitStack() as aside:
            import_id = journal.begin(db, kind="purchases", info=info, options=options)
            result.import_id = import_id
            known = _Customers(
                db,
                create=create_customers,
                import_id=import_id,
                region=options_region,
                lines=table.estimated_rows(),
            )
            last_id = db.next_id("purchases") - 1  # the lines above it are this import's
            if not dry_run:
                aside.enter_context(journal.set_aside(db, INDEX_UPKEEP, table.estimated_rows()))
            present = [0, 1, 2, 8]  # customer, date, amount, line key: always there
            present += [at for name, at in _OPTIONAL_AT.items() if name in index]
            if "order_id" in index and "line_id" not in index:
                present.append(7)  # line_no: the position within the order
            insert = _insert_statement(sorted(present), import_id, now)
            batch: list[tuple[Any, ...]] = []
            lines: list[tuple[int, list[str]]] = []
            seen = 0
            writing = True
            checks = line_checks(table, index, orders)
            read_line = line_reader(
                table,
                index,
                orders,
                known,
                counts,
                skip_anonymous=skip_anonymous,
                countries=[] if region_given else countries,
            )
            for line, cells in table.rows():
                seen += 1
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                try:
                    row = read_line(line, cells)
                except RowProblem as bad:
                    bad.others = _more_problems(cells, bad, checks, header)
                    problems.add_row(line, bad)
                    counts.rejected += 1
                    if writer is not None:
                        writer.write(cells, bad.summary())
                    elif not dry_run:
                        writing = False  # the import will be refused: just validate the rest
                    continue
                if row is None:  # an anonymous sale, left out (--skip-anonymous)
                    counts.rejected += 1
                    if writer is not None:
                        writer.write(cells, f"{header[ci]}: no customer (--skip-anonymous)")
                    continue
                if not writing:
                    continue
                batch.append(row)
                lines.append((line, cells))
                if len(batch) >= BATCH:
                    last_id = _flush(
                        db, insert, batch, lines, last_id, import_id, counts, problems, writer
                    )
                    batch.clear()
                    lines.clear()
                    if progress is not None:
                        progress(table.position(), info.size)
            if writing and batch:
                _flush(db, insert, batch, lines, last_id, import_id, counts, problems, writer)
            money.check_total(db)  # the sums of what is now stored must not overflow
            # The indexes are built by sorting, which gains little from a big cache, and
            # each CREATE INDEX takes the cache size as its sort budget: back to the
            # default, so memory stays flat with the file (240 MB at 10M lines before).
            db.set_cache_size(cache)
            aside.close()  # the indexes built again (a failure before this leaves them be)
            result.customers_created = known.created
            if counts.anonymous and skip_anonymous:
                result.notes.append(
                    f"{counts.anonymous:,} line(s) with no customer left out (--skip-anonymous)"
                )
            elif counts.anonymous:
                result.notes.append(
                    f"{counts.anonymous:,} line(s) with no customer imported as anonymous sales: "
                    "in the shop's totals and exports, in no customer's history or tier"
                    " (--skip-anonymous leaves them out)"
                )
            journal.finish(db, import_id, counts)
            journal.finish_or_fail(
                result,
                problems,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                total_rows=seen,
                path=info.path,
            )
            if writer is not None:  # in place before the import commits (taken back if it fails)
                result.rejects = writer.finish()
    except DryRun:
        result.import_id = None
    except Unchanged:
        result.import_id = None
        result.notes.append(M_("nothing changed; nothing was written to the database"))
        if writer is not None:  # the lines refused again are still the user's to see
            result.rejects = writer.finish()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        db.set_cache_size(cache)
    if result.unmapped:
        result.notes.append(
            M_("columns not imported: {columns}").format(columns=", ".join(result.unmapped))
        )
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the lines are read and written, on again after.

    A line's cells, row and batch entry are freed by reference counting (they hold no
    cycles), but each batch of 5,000 lives long enough to be promoted, so the collector
    kept walking them: 12-15 % of a purchase import's time.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def line_reader(
    table: reading.Table,
    index: Mapping[str, int],
    orders: Mapping[int, dates.DateOrder | None],
    known: _Customers,
    counts: Counts,
    *,
    skip_anonymous: bool,
    countries: Sequence[int],
) -> Callable[[int, list[str]], tuple[Any, ...] | None]:
    """The purchases reader's row validation: `read_line(line, cells)` gives the row to
    store (the order of `_COLUMNS`), None for an anonymous sale left out
    (`skip_anonymous`), or raises the first `RowProblem`, naming its column.

    Built once per file, so each line pays for no lookups: a million lines run through it.
    `countries` are the columns whose country reads a new customer's phone.
    """
    header = table.headers
    ci = index["customer"]
    cn = index.get("customer_name")
    phi = index.get("customer_phone")
    di = index["date"]
    ai = index.get("amount")
    qi = index.get("quantity")
    pi = index.get("unit_price")
    oi = index.get("order_id")
    li = index.get("line_id")
    ii = index.get("item")
    ki = index.get("category")
    vi = index.get("delivery_date")
    ni = index.get("note")
    date_order = orders.get(di)
    delivery_order = orders.get(vi) if vi is not None else None
    decimal_comma = table.decimal_comma
    sha_prefix = table.info.sha256[:16]
    ids = known.ids
    positions: dict[str, int] = {}  # order id → lines seen so far (O(orders), not O(lines))
    date_cache: dict[str, str] = {}

    def read_line(line: int, cells: list[str]) -> tuple[Any, ...] | None:
        ref = cells[ci].strip()
        cid = ids.get(ref) if ref else None
        if not ref:
            # An anonymous sale (a walk-in): the shop's revenue, nobody's purchase.
            counts.anonymous += 1
            if skip_anonymous:
                return None
        elif cid is None:
            cid = known.lookup(
                ref,
                cells[cn].strip() if cn is not None else None,
                header[ci],
                cells[phi].strip() if phi is not None else "",
                next(
                    (c for i in countries if (c := evidence.country_region(cells[i]))),
                    None,
                )
                if countries
                else None,
            )
        raw_date = cells[di]
        day = date_cache.get(raw_date)
        if day is None:
            try:
                day = file_dates.parse_file_date(raw_date, date_order)
            except InvalidValue as exc:
                raise RowProblem(
                    header[di], str(exc) if raw_date.strip() else M_("no date")
                ) from None
            if len(date_cache) < 100_000:
                date_cache[raw_date] = day
        quantity = unit = None
        if qi is not None:
            text = cells[qi]
            if text.isascii() and text.isdigit() and len(text) < 10:  # the usual case, no call
                quantity = int(text)
            elif text := text.strip():
                quantity = _quantity(text, decimal_comma, header[qi])
        if pi is not None and cells[pi].strip():
            unit = _amount(cells[pi].strip(), decimal_comma, header[pi])
        text = cells[ai].strip() if ai is not None else ""
        whole, _dot, frac = text.partition(".")
        plain = text.isascii() and whole.isdigit() and frac.isdigit()  # ASCII: int() reads it
        if plain and len(whole) < 14 and len(frac) <= 6:
            amount = int(whole) * 1_000_000 + int(frac.ljust(6, "0"))  # '123.45'
        elif text:
            amount = _amount(text, decimal_comma, header[ai])  # type: ignore[index]
        elif quantity is not None and unit is not None:
            amount = int(Decimal(quantity) * unit)
        else:
            raise RowProblem(header[ai] if ai is not None else None, M_("no amount"))
        if not -money.MAX_AMOUNT_MICROS <= amount <= money.MAX_AMOUNT_MICROS:
            column = header[ai] if ai is not None and text else None
            raise RowProblem(column, BEYOND.format(most=f"{money.MAX_AMOUNT:,}"))
        order_id = cells[oi].strip() or None if oi is not None else None
        line_id = cells[li].strip() or None if li is not None else None
        line_no = None
        if line_id is not None:
            key = "L:" + line_id
        elif order_id is not None:
            line_no = positions.get(order_id, 0) + 1
            positions[order_id] = line_no
            key = f"O:{order_id}#{line_no}"
        else:
            key = f"F:{sha_prefix}:{line:012d}"  # zero-padded: keys append in order
        delivery = None
        if vi is not None and cells[vi].strip():
            try:
                delivery = file_dates.parse_file_date(cells[vi], delivery_order)
            except InvalidValue as exc:
                raise RowProblem(header[vi], str(exc)) from None
        return (
            cid,
            day,
            amount,
            quantity if not isinstance(quantity, Decimal) else float(quantity),
            unit,
            order_id,
            line_id,
            line_no,
            key,
            cells[ii].strip() or None if ii is not None else None,
            cells[ki].strip() or None if ki is not None else None,
            delivery,
            cells[ni].strip() or None if ni is not None else None,
        )

    return read_line


def line_checks(
    table: reading.Table, index: Mapping[str, int], orders: Mapping[int, dates.DateOrder | None]
) -> list[tuple[int, Callable[[str], Any]]]:
    """Each value's check on its own, for the rare bad row: every problem is listed."""
    header = table.headers
    decimal_comma = table.decimal_comma
    checks: list[tuple[int, Callable[[str], Any]]] = [
        (index["date"], lambda t: file_dates.parse_file_date(t, orders.get(index["date"])))
    ]
    qi = index.get("quantity")
    if qi is not None:
        checks.append((qi, lambda t: _quantity(t.strip(), decimal_comma, header[qi])))
    for column in (index.get("unit_price"), index.get("amount")):
        if column is not None:
            checks.append(
                (column, lambda t, c=column: _amount(t.strip(), decimal_comma, header[c]))
            )
    vi = index.get("delivery_date")
    if vi is not None:
        checks.append((vi, lambda t: file_dates.parse_file_date(t, orders.get(vi))))
    return checks


def _more_problems(
    cells: Sequence[str],
    first: RowProblem,
    checks: Sequence[tuple[int, Callable[[str], Any]]],
    header: Sequence[str],
) -> list[RowProblem]:
    """The row's problems besides `first`, each value checked on its own."""
    out: list[RowProblem] = []
    for column, check in checks:
        text = cells[column] if column < len(cells) else ""
        if header[column] == first.column or not text.strip():
            continue  # already reported; an empty value is a problem only where required
        try:
            check(text)
        except RowProblem as bad:
            out.append(bad)
        except InvalidValue as exc:
            out.append(RowProblem(header[column], str(exc)))
    return out


def _flush(
    db: Engine,
    insert: _Insert,
    batch: Sequence[tuple[Any, ...]],
    lines: Sequence[tuple[int, list[str]]],
    last_id: int,
    import_id: int,
    counts: Counts,
    problems: Problems,
    writer: RejectsWriter | None,
) -> int:
    """Insert a batch; lines already stored are compared, and updated where they differ."""
    inserted = db.insert_new(
        "purchases", insert.columns, map(insert.pick, batch), fixed=insert.fixed, key="line_key"
    )
    counts.added += inserted
    if inserted == len(batch):
        return last_id + inserted
    # Some lines were there already: an earlier import of them, or a repeat in this file.
    keys = [row[8] for row in batch]
    stored: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        marks = ", ".join("?" for _ in chunk)
        for row in db.execute(
            f"SELECT id, import_id, {_COMPARED} FROM purchases WHERE line_key IN ({marks})", chunk
        ):
            stored[row[10]] = row
    claimed: set[str] = set()
    for row, (line, cells) in zip(batch, lines, strict=True):
        key = row[8]
        found = stored[key]
        if found[0] > last_id and key not in claimed:
            claimed.add(key)  # inserted just now
            continue
        if found[0] > last_id or found[1] == import_id:
            line_id = row[6]
            problems.add(
                line,
                None,
                M_("line id {id!r} appears more than once in the file").format(id=line_id),
                reason=M_("repeat a line id of an earlier line"),
            )
            problems.rows += 1
            counts.rejected += 1
            if writer is not None:
                writer.write(cells, f"line id {line_id!r} appears more than once in the file")
            continue
        old = tuple(_stored(v) for v in found[2:])
        new = tuple(_stored(v) for v in row[:13])
        if old == new:
            counts.unchanged += 1
            continue
        names = [c.strip() for c in _COMPARED.split(",")]
        previous = dict(zip(names, found[2:], strict=True))
        previous["import_id"] = found[1]
        journal.record_change(db, import_id, "purchases", found[0], "update", previous)
        assignments = ", ".join(f"{n} = ?" for n in names)
        db.execute(
            f"UPDATE purchases SET {assignments}, import_id = ? WHERE id = ?",
            [*row[:13], import_id, found[0]],
        )
        counts.updated += 1
    return last_id + inserted
