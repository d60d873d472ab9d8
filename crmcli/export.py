"""Exports: customers and purchases as rows for CSV/JSON, or as vCards; Excel-safe cells.

A spreadsheet treats a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage
return) as a formula; a customer's name or note must never run as one, so `--excel`
prefixes such text with an apostrophe. Numbers are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crmcli import customer_fields, customers, purchases
from crmcli.money import to_decimal

if TYPE_CHECKING:
    from crmcli.engines import Engine

# An export holds every field a customer has (the table in customer_fields.py); the
# computed ones (id, tier, addressed_as, timestamps) are skipped when it is read back.
CUSTOMER_FIELDS = customer_fields.NAMES
PURCHASE_FIELDS = purchases.LIST_FIELDS

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


def excel_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, defused; numbers untouched."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value  # '-12.50' is a number, not a formula
    return "'" + value


def excel_unsafe(value: str) -> str:
    """Undo `excel_safe`: crmcli's own `--excel` export read back as it was."""
    if value.startswith("'") and excel_safe(value[1:]) == value:
        return value[1:]
    return value


def excel_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: excel_safe(v) for k, v in row.items()}


def customer_records(
    db: Engine, *, tag: str | None = None
) -> Iterator[tuple[customers.Customer, dict[str, Any]]]:
    """Whole customer records, with the fields a vCard lacks (X-CRMCLI-…), streamed."""
    wanted = [f for f in customer_fields.READ_BACK if f not in customer_fields.VCARD_NATIVE]
    for row in customers.rows(db, tag=tag, fields=["id", *wanted], flat=False):
        yield customers.get(db, row["id"]), {f: row[f] for f in wanted}


def purchase_rows(db: Engine, **filters: Any) -> Iterator[dict[str, Any]]:
    """Purchase lines with exact Decimal amounts."""
    for row in purchases.rows(db, **filters):
        out = dict(row)
        out["amount"] = to_decimal(row["amount_micros"])
        unit = row.get("unit_price_micros")
        out["unit_price"] = None if unit is None else to_decimal(unit)
        if isinstance(out.get("quantity"), float):
            out["quantity"] = Decimal(str(out["quantity"]))
        yield out
