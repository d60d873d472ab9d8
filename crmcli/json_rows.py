"""JSON and JSON Lines files as tables, so `customers import` and `purchases import` read
them like a CSV: crmcli's own `--format json` / `jsonl` export reads back field by field.

Each object is a row; its keys are the columns (the union over the file, in first-seen
order). Values become the text a CSV cell would hold (`customer_fields.flat`): lists of
phones, tags and dates in their flat form, true/false as yes/no, an object such as
`extra` as one `extra.NAME` column per key, numbers with every digit they were written
with. crmcli's own JSON writes money as a decimal string (cli/json_encoding.py): that
text is the cell as it is. Problems name the line where the object starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from crmcli import customer_fields
from crmcli.errors import InvalidInput, Problem
from crmcli.imports import reading


def cell(value: Any, key: str) -> str:
    """A JSON value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (list, dict)):
        if key in customer_fields.BY_NAME and isinstance(value, list):
            return str(customer_fields.flat(value, key) or "")
        if isinstance(value, list):
            return "; ".join(cell(v, key) for v in value)
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def flatten(obj: dict[str, Any]) -> dict[str, str]:
    """One object as column → text; a nested object's keys become `key.sub` columns."""
    out: dict[str, str] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                out[f"{key}.{sub}"] = cell(inner, sub)
        else:
            out[key] = cell(value, key)
    return out


def _objects(path: Path, encoding: str) -> Iterator[tuple[int, Any]]:
    """(line where it starts, value) for each object of a JSON array or a JSON Lines file."""
    name = path.name
    decoder = json.JSONDecoder(parse_float=Decimal)
    if path.suffix.lower() != ".json":  # JSON Lines: one value a line, streamed
        with path.open(encoding=encoding) as f:
            for line, text in enumerate(f, start=1):
                text = text.strip().lstrip("\ufeff")
                if not text:
                    continue
                try:
                    yield line, decoder.decode(text)
                except json.JSONDecodeError as exc:
                    raise _bad(name, line, f"not valid JSON: {exc.msg}") from None
        return
    text = path.read_text(encoding=encoding).lstrip("\ufeff")
    pos, line, length = 0, 1, len(text)

    def skip(at: int, extra: str = "") -> int:
        nonlocal line
        while at < length and (text[at].isspace() or text[at] in extra):
            line += text[at] == "\n"
            at += 1
        return at

    pos = skip(pos)
    if text[pos : pos + 1] != "[":
        raise _bad(name, line, "a JSON file to import holds a list of objects: [{…}, {…}]")
    pos += 1
    while True:
        pos = skip(pos, ",")
        if pos >= length or text[pos] == "]":
            return
        start = line
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _bad(name, exc.lineno, f"not valid JSON: {exc.msg}") from None
        line += text.count("\n", pos, end)
        pos = end
        yield start, value


def _bad(name: str, line: int, message: str) -> InvalidInput:
    return InvalidInput(
        [Problem(name, line, None, message)],
        summary=f"{name} cannot be read as JSON; nothing was imported",
    )


@dataclass
class JsonTable(reading.Table):
    """A JSON/JSONL file with the interface of `reading.Table`."""

    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        markers = self.markers
        for line, record in self.records:
            cells = [record.get(h, "") for h in self.headers]
            for i, text in enumerate(cells):
                if text and reading.is_missing_marker(text):
                    markers[text.strip()] = markers.get(text.strip(), 0) + 1
                    cells[i] = ""
            if any(c.strip() for c in cells):
                yield line, cells

    def column_values(self, index: int) -> Iterator[str]:
        header = self.headers[index]
        for _line, record in self.records:
            yield record.get(header, "")

    def position(self) -> int:
        return 0

    def estimated_rows(self) -> int:
        return len(self.records)


@contextmanager
def open_json(path: Path, *, encoding: str | None = None) -> Iterator[reading.Table]:
    """Open a JSON array of objects, or JSON Lines (one object a line), as a table."""
    info = reading.inspect_file(path, encoding=encoding)
    records: list[tuple[int, dict[str, str]]] = []
    headers: dict[str, None] = {}
    for line, value in _objects(path, info.encoding):
        if not isinstance(value, dict):
            raise _bad(path.name, line, 'each row must be a JSON object: {"name": …}')
        flat = flatten(value)
        headers.update(dict.fromkeys(flat))
        records.append((line, flat))
    if not headers:
        raise InvalidInput(
            [Problem(path.name, 1, None, "the file holds no objects")],
            summary=f"{path.name} has no rows; nothing was imported",
        )
    names = list(headers)
    yield JsonTable(
        info=info,
        delimiter=",",
        decimal_comma=False,
        headers=names,
        sample=[[r.get(h, "") for h in names] for _l, r in records[: reading.SAMPLE_ROWS]],
        _text=None,  # type: ignore[arg-type]
        _reader=None,
        records=records,
    )
