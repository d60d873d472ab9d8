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
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import customers, dates, money
from crmcli.errors import InvalidValue
from crmcli.i18n import M_, M_n
from crmcli.imports import evidence, file_dates, journal, reading, staging
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
from crmcli.progress import CHECKING, INDEXING, STORING, phase
from crmcli.text import CONTROL_RANGES, MAX_INDEXED_BYTES, MAX_TEXT, SURELY_SHORT
from crmcli.text import problem as text_problem

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
                    f"SELECT id FROM customers WHERE {self.db.nocase_equal('email')}", [ref]
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
                        M_(
                            "{file}: columns {first} and {second} are both {field}; --map one "
                            "of them to ignore"
                        ).format(
                            file=path.name,
                            first=repr(table.headers[index[col.field]]),
                            second=repr(col.header),
                            field=col.field,
                        )
                    )
                index[col.field] = col.index
        missing = [f for f in ("customer", "date") if f not in index]
        if "amount" not in index and not {"quantity", "unit_price"} <= set(index):
            missing.append("amount (or quantity and unit_price)")
        if missing:
            raise InvalidValue(
                M_(
                    "{file}: no column for {missing}; found {found} — name them with "
                    "--map SOURCE=FIELD"
                ).format(file=path.name, missing=", ".join(missing), found=", ".join(table.headers))
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
    phi = index.get("customer_phone")
    options_region = evidence.import_region(
        db, options.get("region"), headers=table.headers, encoding=table.info.encoding
    )
    region_given = bool(options.get("region"))
    countries = [i for i, h in enumerate(table.headers) if evidence.is_country_header(h)]
    if phi is not None and create_customers:
        result.notes.append(options_region.note())
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
            bulk = None
            if not dry_run:
                # A server's import keeps line keys unique itself (`_staged`): the unique
                # key is set aside too, and built once after, by sorting.
                upkeep = INDEX_UPKEEP._replace(keys=True) if db.remote else INDEX_UPKEEP
                bulk = aside.enter_context(journal.set_aside(db, upkeep, table.estimated_rows()))
            present = [0, 1, 2, 8]  # customer, date, amount, line key: always there
            present += [at for name, at in _OPTIONAL_AT.items() if name in index]
            if "order_id" in index and "line_id" not in index:
                present.append(7)  # line_no: the position within the order
            insert = _insert_statement(sorted(present), import_id, now)
            read_line = line_reader(
                table,
                index,
                orders,
                known,
                counts,
                skip_anonymous=skip_anonymous,
                countries=[] if region_given else countries,
            )
            refuse = _Refusals(table, index, orders, counts, problems, writer, dry_run=dry_run)
            if db.remote:  # a server checks the lines in SQL, over the whole file at once
                seen = _staged(
                    db, table, index, read_line, refuse, insert, last_id, import_id,
                    skip_anonymous=skip_anonymous, keyed=bulk is None, progress=progress,
                )  # fmt: skip
            else:
                seen = _stepped(
                    db, table, read_line, refuse, insert, last_id, import_id, progress=progress
                )
            money.check_total(db)  # the sums of what is now stored must not overflow
            # The indexes are built by sorting, which gains little from a big cache, and
            # each CREATE INDEX takes the cache size as its sort budget: back to the
            # default, so memory stays flat with the file (240 MB at 10M lines before).
            db.set_cache_size(cache)
            if bulk is not None:
                phase(progress, INDEXING)
            aside.close()  # the indexes built again (a failure before this leaves them be)
            result.customers_created = known.created
            if counts.anonymous and skip_anonymous:
                result.notes.append(
                    M_n(
                        "{n:,} line with no customer left out (--skip-anonymous)",
                        "{n:,} lines with no customer left out (--skip-anonymous)",
                        counts.anonymous,
                    )
                )
            elif counts.anonymous:
                result.notes.append(
                    M_n(
                        "{n:,} line with no customer imported as an anonymous sale: in the "
                        "shop's totals and exports, in no customer's history or tier"
                        " (--skip-anonymous leaves it out)",
                        "{n:,} lines with no customer imported as anonymous sales: in the "
                        "shop's totals and exports, in no customer's history or tier"
                        " (--skip-anonymous leaves them out)",
                        counts.anonymous,
                    )
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
    texts = free_text_columns(index)
    # One look at all of a line's free text first: short and plain (nearly every line),
    # nothing to check one by one (each under the limit in any script).
    text_cells = itemgetter(*(i for i, _indexed in texts)) if texts else None
    one_text = len(texts) == 1

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
        if text_cells is not None:
            joined = text_cells(cells) if one_text else "".join(text_cells(cells))
            if len(joined) > SURELY_SHORT or _has_control(joined):
                for i, indexed in texts:
                    if cells[i] and (bad := _text_problem(cells[i], indexed)):
                        raise RowProblem(header[i], bad)
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


# The free text a line stores, and whether it is a one-line value a server indexes (the
# order and line ids make the line key): checked as every write path checks text.
FREE_TEXT = (
    ("order_id", True), ("line_id", True), ("item", True), ("category", True), ("note", False)
)  # fmt: skip


_has_control = re.compile(f"[{CONTROL_RANGES}]").search


def free_text_columns(index: Mapping[str, int]) -> list[tuple[int, bool]]:
    """(column, indexed) of the file's free text (`FREE_TEXT`)."""
    return [(index[field], indexed) for field, indexed in FREE_TEXT if field in index]


def _text_problem(cell: str, indexed: bool) -> str | None:
    # The value as stored (stripped), so white space around it is never a problem.
    return text_problem(cell.strip(), multiline=not indexed, indexed=indexed)


def _checked_text(cell: str, *, indexed: bool) -> None:
    bad = _text_problem(cell, indexed)
    if bad:
        raise InvalidValue(bad)


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
    for column, indexed in free_text_columns(index):
        checks.append((column, partial(_checked_text, indexed=indexed)))
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


class _Refusals:
    """What becomes of a line `read_line` refuses, on either path: every problem of it
    listed, counted, written to the rejects file (--skip-invalid); without one, the
    import will be refused, so nothing more is written (`writing`), only checked."""

    def __init__(
        self,
        table: reading.Table,
        index: Mapping[str, int],
        orders: Mapping[int, dates.DateOrder | None],
        counts: Counts,
        problems: Problems,
        writer: RejectsWriter | None,
        *,
        dry_run: bool,
    ) -> None:
        self.header = table.headers
        self.customer = table.headers[index["customer"]]
        self.width = max(index.values()) + 1
        self.checks = line_checks(table, index, orders)
        self.counts = counts
        self.problems = problems
        self.writer = writer
        self.dry_run = dry_run
        self.writing = True

    def check(
        self,
        read_line: Callable[[int, list[str]], tuple[Any, ...] | None],
        line: int,
        cells: list[str],
    ) -> tuple[Any, ...] | RowProblem | None:
        """The line's row to store, or what was wrong with it (None: left out on purpose)."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        try:
            return read_line(line, cells)
        except RowProblem as bad:
            bad.others = _more_problems(cells, bad, self.checks, self.header)
            self.problems.add_row(line, bad)
            self.counts.rejected += 1
            if self.writer is not None:
                self.writer.write(cells, bad.summary())
            elif not self.dry_run:
                self.writing = False  # the import will be refused: just validate the rest
            return bad

    @property
    def sinks(self) -> tuple[Counts, Problems, RejectsWriter | None]:
        return self.counts, self.problems, self.writer

    def anonymous(self, cells: list[str]) -> None:
        """An anonymous sale, left out (--skip-anonymous)."""
        self.counts.rejected += 1
        if self.writer is not None:
            self.writer.write(cells, f"{self.customer}: no customer (--skip-anonymous)")


def _stepped(
    db: Engine,
    table: reading.Table,
    read_line: Callable[[int, list[str]], tuple[Any, ...] | None],
    refuse: _Refusals,
    insert: _Insert,
    last_id: int,
    import_id: int,
    *,
    progress: ProgressFn | None,
) -> int:
    """SQLite's way: each line read and checked in Python, batches inserted as they fill."""
    counts, problems, writer = refuse.counts, refuse.problems, refuse.writer
    batch: list[tuple[Any, ...]] = []
    lines: list[tuple[int, list[str]]] = []
    seen = 0
    for line, cells in table.rows():
        seen += 1
        row = refuse.check(read_line, line, cells)
        if isinstance(row, RowProblem):
            continue
        if row is None:
            refuse.anonymous(cells)
            continue
        if not refuse.writing:
            continue
        batch.append(row)
        lines.append((line, cells))
        if len(batch) >= BATCH:
            last_id = _flush(db, insert, batch, lines, last_id, import_id, counts, problems, writer)
            batch.clear()
            lines.clear()
            if progress is not None:
                progress(table.position(), table.info.size)
    if refuse.writing and batch:
        _flush(db, insert, batch, lines, last_id, import_id, counts, problems, writer)
    return seen


# --- a server's way: the lines checked in SQL -------------------------------------------

# A plain amount, as read_line's fast path reads it ('123.45', '-3'): SQL takes these; any
# other spelling ('1,234.50', '€12', '12.') goes to `parse_amount`, in Python.
_PLAIN_AMOUNT = r"^-?[0-9]{1,13}(\.[0-9]{1,6})?$"
_ISO_DAY = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_CHECKED = "crmcli_stage_checked"  # the lines Python read, and what it made of them


def _iso_day(text: str) -> str:
    """SQL: `text` is an ISO day `parse_file_date`'s fast path takes as it is (a real
    day within the dates crmcli handles). CASE keeps the casts from seeing anything else;
    byte order (COLLATE "C") compares digits the same under any collation, and fast."""
    month, day, year = f"substr({text}, 6, 2)", f"substr({text}, 9, 2)", f"substr({text}, 1, 4)"
    y = f"CAST({year} AS integer)"
    leap = f"(mod({y}, 4) = 0 AND (mod({y}, 100) <> 0 OR mod({y}, 400) = 0))"
    last = (
        f"CASE WHEN {month} IN ('04', '06', '09', '11') THEN '30' WHEN {month} <> '02' THEN '31'"
        f" WHEN {leap} THEN '29' ELSE '28' END"
    )
    return (
        f"CASE WHEN {text} ~ '{_ISO_DAY}' AND {text} COLLATE \"C\""
        f" BETWEEN '{dates.FIRST_DAY}' AND '{dates.LAST_DAY}'"
        f' THEN {day} COLLATE "C" <= \'28\' OR {day} COLLATE "C" <= {last} ELSE false END'
    )


def _staged_sql(
    staged: staging.Staged, index: Mapping[str, int], *, skip_anonymous: bool
) -> tuple[str, dict[str, str]]:
    """SQL over the staging table `s` (customers joined as `k`): the condition under which
    a line is what `read_line` makes of it without a question, and that row's values.

    The condition takes only what SQL reads exactly as read_line does — a stored customer
    code, an ISO day, a whole quantity, a plain amount — so every line it takes gets the
    very values read_line would give it; read_line reads every other line itself (and
    names the field of a bad one).
    """
    cell = {f: f"s.{staged.column(i)}" for f, i in index.items()}
    plain = {f: staged.strip(c) for f, c in cell.items()}
    most = money.MAX_AMOUNT_MICROS

    def micros(text: str) -> str:
        return f"({text})::numeric * 1000000"

    def amount_ok(text: str) -> str:
        within = f"abs({micros(text)}) <= {most}"
        return f"CASE WHEN {text} ~ '{_PLAIN_AMOUNT}' THEN {within} ELSE false END"

    ref = plain["customer"]
    checks = [
        f"CASE WHEN {ref} = '' THEN {'false' if skip_anonymous else 'true'}"
        " ELSE k.id IS NOT NULL END",
        _iso_day(plain["date"]),
    ]
    values = {
        "customer_id": "k.id",
        "date": plain["date"],
        "quantity": "CAST(NULL AS numeric)",
        "unit_price_micros": "CAST(NULL AS bigint)",
    }
    if "quantity" in cell:  # read_line's int(text) of up to nine digits, unstripped
        q = cell["quantity"]
        checks.append(f"({q} = '' OR {q} ~ '^[0-9]{{1,9}}$')")
        values["quantity"] = f"CAST(nullif({q}, '') AS numeric)"
    if "unit_price" in cell:
        u = plain["unit_price"]
        checks.append(f"({u} = '' OR {amount_ok(u)})")
        values["unit_price_micros"] = f"CAST({micros(f'nullif({u}, {chr(39) * 2})')} AS bigint)"
    product = f"({values['quantity']}) * ({values['unit_price_micros']})"
    by_product = f"CASE WHEN {product} IS NOT NULL THEN abs({product}) <= {most} ELSE false END"
    if "amount" in cell:
        a = plain["amount"]
        checks.append(f"CASE WHEN {a} <> '' THEN {amount_ok(a)} ELSE {by_product} END")
        values["amount_micros"] = (
            f"CAST(CASE WHEN {a} <> '' THEN {micros(a)} ELSE {product} END AS bigint)"
        )
    else:
        checks.append(by_product)
        values["amount_micros"] = f"CAST({product} AS bigint)"
    if "delivery_date" in cell:
        v = plain["delivery_date"]
        checks.append(f"({v} = '' OR {_iso_day(v)})")
    # Free text as `crmcli.text` takes it (else read_line names the line and the field):
    # no control character, a one-line value's bytes within what an index holds.
    for field, indexed in FREE_TEXT:
        if field in plain:
            value = plain[field]
            most = (
                f"octet_length({value}) <= {MAX_INDEXED_BYTES}"
                if indexed
                else (f"char_length({value}) <= {MAX_TEXT}")
            )
            checks.append(f"{most} AND {value} !~ '[{CONTROL_RANGES}]'")
    for field in ("order_id", "line_id", "item", "category", "delivery_date", "note"):
        values[field] = f"nullif({plain[field]}, '')" if field in plain else "CAST(NULL AS text)"
    return " AND ".join(f"({c})" for c in checks), values


def _staged(
    db: Engine,
    table: reading.Table,
    index: Mapping[str, int],
    read_line: Callable[[int, list[str]], tuple[Any, ...] | None],
    refuse: _Refusals,
    insert: _Insert,
    last_id: int,
    import_id: int,
    *,
    skip_anonymous: bool,
    keyed: bool,
    progress: ProgressFn | None,
) -> int:
    """A server's way (issue 16 item 5): the file COPYed into a staging table, its lines
    checked and keyed in SQL, then one set-based INSERT in the file's order.

    Lines SQL does not take (`_staged_sql`) are read by `read_line` itself, in order, so
    a bad line is refused with the same words, line and field as on SQLite, and an odd
    spelling ('1.234,50', '3/4/2025') is read as there. Its customers are looked up, or
    added, as there too. The order positions of line keys are counted in SQL over both.
    """
    # The sorts below (order positions, the file's order) and the index builds after take
    # a few hundred MB at a million lines: in memory for this transaction, not on disk.
    db.execute("SET LOCAL work_mem = '256MB'")
    db.execute("SET LOCAL maintenance_work_mem = '256MB'")
    staged = staging.stage(db, table, progress)
    phase(progress, CHECKING)  # the file is on the server: the rest is its SQL
    fast, values = _staged_sql(staged, index, skip_anonymous=skip_anonymous)
    code = staged.strip(f"s.{staged.column(index['customer'])}")
    source = f"FROM {staged.table} s LEFT JOIN customers k ON k.code = {code}"
    db.execute(
        f"CREATE TEMP TABLE {_CHECKED} (line bigint PRIMARY KEY, ok boolean NOT NULL,"
        " keyed boolean NOT NULL, customer_id bigint, date text, amount_micros bigint,"
        " quantity numeric, unit_price_micros bigint, order_id text, line_id text, item text,"
        " category text, delivery_date text, note text) ON COMMIT DROP"
    )
    names = [c for c in _COLUMNS if c not in ("line_no", "line_key")]  # keyed in SQL, below
    checked_columns = ("line", "ok", "keyed", *names)
    delivery = table.headers[index["delivery_date"]] if "delivery_date" in index else None
    out: list[tuple[Any, ...]] = []
    empty = (None,) * 11
    oi, li = index.get("order_id"), index.get("line_id")
    for line, *cells in db.read_rows(
        f"SELECT s.line, {staged.cells_of('s')} {source}"
        f" WHERE NOT coalesce({fast}, false) ORDER BY s.line"
    ):
        row = refuse.check(read_line, line, cells)
        if isinstance(row, RowProblem):
            if delivery is not None and row.column == delivery:
                # A bad delivery date is found after the line took its place in its order
                # (read_line checks it last): the order's later lines count it, as there.
                # (Only a line without a line id is placed in its order.)
                order = cells[oi].strip() or None if oi is not None else None
                placed = order is not None and (li is None or not cells[li].strip())
                out.append((line, False, placed, *empty[:5], order, *empty[6:]))
            else:
                out.append((line, False, False, *empty))
        elif row is None:
            refuse.anonymous(cells)
            out.append((line, False, False, *empty))
        else:
            out.append((line, True, True, *row[:7], *row[9:13]))
        if len(out) >= BATCH:
            db.copy_rows(_CHECKED, checked_columns, out)
            out.clear()
    db.copy_rows(_CHECKED, checked_columns, out)
    if not refuse.writing:
        return staged.rows  # refused: nothing to insert
    refuse.counts.anonymous += db.execute(
        f"SELECT count(*) {source} WHERE {values['customer_id']} IS NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {_CHECKED} x WHERE x.line = s.line)"
    ).fetchone()[0]
    typed = ", ".join(f"{values[c]} AS {c}" for c in names)
    plain_names = ", ".join(names)
    # One numbering in the file's order per line id (the first of each is the one stored)
    # and per order id among lines without one (their place: `O:order#place`), in one sort.
    group = (
        "CASE WHEN line_id IS NOT NULL THEN 'L' || line_id"
        " WHEN order_id IS NOT NULL THEN 'O' || order_id END"
    )
    numbered = "order_id" in index or "line_id" in index
    nth = f'row_number() OVER (PARTITION BY {group} COLLATE "C" ORDER BY line)'
    sha = table.info.sha256[:16]
    rows = (
        f"WITH every AS (SELECT s.line, true AS ok, {typed} {source}"
        f" WHERE NOT EXISTS (SELECT 1 FROM {_CHECKED} x WHERE x.line = s.line)"
        f" UNION ALL SELECT line, ok, {plain_names} FROM {_CHECKED} WHERE keyed),"
        f" numbered AS (SELECT *, {nth if numbered else 'NULL::bigint'} AS n FROM every),"
        " keyed AS (SELECT *, CASE WHEN line_id IS NULL AND order_id IS NOT NULL THEN n END"
        " AS line_no, CASE WHEN line_id IS NOT NULL THEN n ELSE 1 END AS nth,"
        " CASE WHEN line_id IS NOT NULL THEN 'L:' || line_id"
        " WHEN order_id IS NOT NULL THEN 'O:' || order_id || '#' || n"
        f" ELSE 'F:{sha}:' || CASE WHEN line < 1000000000000 THEN lpad(line::text, 12, '0')"
        " ELSE line::text END END AS line_key FROM numbered WHERE ok)"
    )
    columns = ", ".join(insert.columns)
    fixed = ", ".join(insert.fixed)
    marks = ", ".join("?" for _ in insert.fixed)
    refused = db.execute(f"SELECT count(*) FROM {_CHECKED} WHERE NOT ok").fetchone()[0]
    expected = staged.rows - refused
    # The first line of each key not stored yet goes in, as ON CONFLICT alone would let it —
    # but a line left out takes no id (a server's identity hands one to every row it tries:
    # ids after a re-import would not be SQLite's). With the unique key set aside
    # (`bulk_loading(keys=True)`: the import holds the table) this is the only check:
    # keys numbered in the sort that places order lines cost a fraction of probing the
    # key's index for each line (19.7 s → 9.3 s at 1M lines, the key built after). Kept, the key
    # still settles a race with another import of the same lines (ON CONFLICT).
    insert_sql = (
        f"{rows} INSERT INTO purchases ({columns}, {fixed}) SELECT {columns}, {marks}"
        " FROM keyed f WHERE nth = 1 AND NOT EXISTS"
        " (SELECT 1 FROM purchases p WHERE p.line_key = f.line_key) ORDER BY line"
        + (" ON CONFLICT (line_key) DO NOTHING" if keyed else "")
    )
    phase(progress, STORING)
    inserted = db.execute(insert_sql, list(insert.fixed.values())).rowcount
    refuse.counts.added += inserted
    if inserted == expected:
        return staged.rows
    # Some lines were there already: an earlier import's, or repeats in the file. Every line
    # of those keys, in order, goes through what SQLite's way does with them.
    batch: list[tuple[Any, ...]] = []
    lines: list[tuple[int, list[str]]] = []
    settle = _settle
    for line, *rest in db.read_rows(
        f"{rows}, again AS (SELECT line_key FROM keyed GROUP BY line_key HAVING count(*) > 1"
        f" UNION SELECT p.line_key FROM purchases p JOIN keyed USING (line_key) WHERE p.id <= ?)"
        f" SELECT keyed.line, {', '.join(_COLUMNS)}, {staged.cells} FROM keyed"
        f" JOIN again USING (line_key) JOIN {staged.table} USING (line) ORDER BY keyed.line",
        [last_id],
    ):
        batch.append(tuple(rest[:13]))
        lines.append((line, list(rest[13:])))
        if len(batch) >= BATCH:
            settle(db, batch, lines, last_id, import_id, *refuse.sinks)
            batch.clear()
            lines.clear()
    if batch:
        settle(db, batch, lines, last_id, import_id, *refuse.sinks)
    return staged.rows


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
    if inserted != len(batch):
        # Some lines were there already: an earlier import of them, or a repeat in this file.
        _settle(db, batch, lines, last_id, import_id, counts, problems, writer)
    return last_id + inserted


def _settle(
    db: Engine,
    batch: Sequence[tuple[Any, ...]],
    lines: Sequence[tuple[int, list[str]]],
    last_id: int,
    import_id: int,
    counts: Counts,
    problems: Problems,
    writer: RejectsWriter | None,
) -> None:
    """After `batch` went in, keyed: each line whose key was stored already, in order —
    a repeat of a line of this import (refused), or an earlier import's line (left as it
    is, or updated where it differs). A row with an id above `last_id` came in now."""
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
