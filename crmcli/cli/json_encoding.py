"""crmcli's one JSON encoding: every `--format json`/`jsonl`, page, report and export.

- **Money is a string of decimal digits**: `"957.5775"`, `"-12.5"`, `"2000"`, exact,
  with no grouping and no currency. A JSON number would pass through a binary float
  in most readers (JavaScript, Python's default `json.loads`, jq before 1.7), where
  0.1 + 0.2 is not 0.3 and an amount near the limit (a trillion with six decimals,
  19 digits) is rounded. Payment APIs that carry decimal amounts do the same
  (PayPal's `"value": "10.00"`). Money is known by its type, `money.Money`.
- **Every other number is a JSON number** with exactly its digits (a percentage
  `93.17`, days `2.5`, a quantity `1.5`, counts): measures to compare and plot.
- **Dates and times are ISO 8601 strings** (`"2026-11-02"`, `"2026-11-02T09:30:00+00:00"`).
- Lists and objects stay lists and objects; anything else is written as its text.
- Control and reordering characters in text are `\\uXXXX` escapes (the same data, but
  a terminal never obeys them); where the output's encoding lacks a character, it is
  a `\\uXXXX` escape too.

`customers import` and `purchases import` read all of this back (crmcli/imports/reading.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TextIO

from crmcli.cli import screen
from crmcli.money import Money


def _scalar(value: Any, ascii_only: bool) -> str:
    if value is None or isinstance(value, (str, bool, int, float)):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, Money):
        return json.dumps(f"{value:f}")
    if isinstance(value, Decimal):
        if not value.is_finite():  # not JSON; no computed measure should ever be one
            raise ValueError(f"{value} cannot be written as JSON")
        return f"{value:f}"  # plain digits, never 9.983E+6 or a rounded float
    if isinstance(value, (date, datetime, time)):
        return json.dumps(value.isoformat())
    return json.dumps(str(value), ensure_ascii=ascii_only)


def _encode(value: Any, ascii_only: bool, indent: int | None, depth: int) -> str:
    if isinstance(value, Mapping):
        items = [(json.dumps(str(k), ensure_ascii=ascii_only), v) for k, v in value.items()]
        parts = [f"{k}: {_encode(v, ascii_only, indent, depth + 1)}" for k, v in items]
        return _join(parts, "{", "}", indent, depth)
    if isinstance(value, (list, tuple, set, frozenset)):
        parts = [_encode(v, ascii_only, indent, depth + 1) for v in value]
        return _join(parts, "[", "]", indent, depth)
    return _scalar(value, ascii_only)


def _join(parts: list[str], opening: str, closing: str, indent: int | None, depth: int) -> str:
    """The layout `json.dumps` gives: one line, or one item a line at `indent`."""
    if not parts:
        return opening + closing
    if indent is None:
        return opening + ", ".join(parts) + closing
    inner = "\n" + " " * (indent * (depth + 1))
    return opening + inner + ("," + inner).join(parts) + "\n" + " " * (indent * depth) + closing


def to_json(value: Any, *, stream: TextIO, indent: int | None = None) -> str:
    """`value` as JSON text for `stream` (see the module docstring for the rules)."""
    ascii_only = not screen.is_unicode(stream)  # lossless \uXXXX where the encoding lacks it
    return screen.json_printable(_encode(value, ascii_only, indent, 0))


def row_to_json(row: Mapping[str, Any], fields: Sequence[str], *, stream: TextIO) -> str:
    """One record (only `fields`, in order) as a one-line JSON object."""
    return to_json({f: row.get(f) for f in fields}, stream=stream)
