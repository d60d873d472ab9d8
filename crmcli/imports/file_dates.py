"""Dates in a file: which reading (YMD, DMY, MDY) a column's dates take, and a cell's day."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from crmcli import dates
from crmcli.errors import InvalidValue
from crmcli.i18n import M_, either
from crmcli.imports.reading import Table


def column_orders(
    table: Table, columns: Mapping[int, str], given: dates.DateOrder | None
) -> dict[int, dates.DateOrder | None]:
    """Each date column's reading, by column index (`columns`: index → the name a refusal
    gives it); every reader of dates asks here.

    `--date-order` wins. A column whose sampled dates are all ISO needs no order (ISO
    reads one way; the cell's fast path) and costs no pass over the file; any other is
    read the one way that fits all of its values (`infer_date_order`, a streamed pass),
    and a column that reads more than one way refuses the file.
    """
    out: dict[int, dates.DateOrder | None] = {}
    for index, name in columns.items():
        if given:
            out[index] = given
            continue
        sampled = [row[index] for row in table.sample if index < len(row) and row[index]]
        if sampled and all(len(v) == 10 and v[4] == "-" and v[7] == "-" for v in sampled):
            out[index] = None
            continue
        try:
            out[index] = infer_date_order(table.column_values(index), given=None)
        except dates.AmbiguousDate as exc:
            raise InvalidValue(
                f"{table.info.path.name}: "
                + M_("column {column}: {error}").format(column=repr(name), error=exc)
            ) from None
    return out


def infer_date_order(
    values: Iterator[str] | Sequence[str], *, given: dates.DateOrder | None
) -> dates.DateOrder | None:
    """The one reading (YMD/DMY/MDY) that fits every value of a column; None when any will do.

    Raises `AmbiguousDate` when more than one reading fits and none was given.
    """
    if given:
        return given
    left: set[dates.DateOrder] | None = None
    for value in values:
        value = _strip_time(value.strip())
        if not value or value.startswith("--"):
            continue
        orders = dates.possible_orders(value)
        if not orders:
            continue  # not a three-part date: parsed (or refused) row by row
        left = set(orders) if left is None else left & orders
        if left is not None and len(left) <= 1:
            break
    if not left:
        return None
    if len(left) == 1:
        return next(iter(left))
    raise dates.AmbiguousDate(
        M_("every date could be read as {orders}; give --date-order").format(
            orders=either(sorted(left))
        )
    )


_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(?:[AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?$")


def _strip_time(text: str) -> str:
    """'12/1/2010 8:26' → '12/1/2010': purchases keep the day."""
    return _TIME.sub("", text) if ":" in text else text


# Outlook writes '0/0/00' for a date it does not have.
_NO_DATE = {"0/0/00", "0/0/0000", "00/00/0000", "0000-00-00", "00.00.0000"}


def parse_file_day(text: str, order: dates.DateOrder | None) -> str | None:
    """A birthday or anniversary cell: ISO, --MM-DD, or None when empty."""
    text = _strip_time(text.strip())
    if not text or text in _NO_DATE:
        return None
    return dates.parse_day(text, order=order)


def parse_file_date(text: str, order: dates.DateOrder | None) -> str:
    """A purchase date cell, as ISO `YYYY-MM-DD`."""
    text = _strip_time(text.strip())
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            day = dates.date.fromisoformat(text)
        except ValueError:
            pass
        else:  # the fast path keeps the range every date has
            return dates.in_range(day, what="date").isoformat()
    return dates.parse_date(text, order=order).isoformat()
