"""Bringing files in: the machinery that customers and purchases imports share.

A file is read twice at most, streamed both times: a first pass over its bytes takes
the sha256 and settles the encoding (BOM, then strict UTF-8, then a detector limited
to the East Asian and Cyrillic code pages shops use); the second pass parses it row
by row. Headers are matched to fields by name (English, Korean, Japanese, Chinese,
Google and Outlook layouts) or by `--map`; columns with no field are kept, never
dropped. Every import is recorded in `imports` so `imports undo` can put it back.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from crmcli import dates
from crmcli.db import write
from crmcli.errors import InvalidInput, InvalidValue, NotFound, Problem, UsageError

KEEP_PROBLEMS = 1_000  # problems kept in memory to list; all are counted
MAX_VALUE_LINES = 100  # a value longer than this many lines is an unclosed quote
SAMPLE_ROWS = 200  # rows read ahead to sniff dates and decimal commas
CHUNK = 1 << 20
IGNORE = "ignore"  # `--map COLUMN=ignore`: the one way to leave a column out on purpose
EXTRA = "extra"  # `--map COLUMN=extra`: keep it among the customer's extra fields

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes in all)


# --- the file: bytes, encoding, dialect ------------------------------------------------


@dataclass(frozen=True)
class FileInfo:
    path: Path
    sha256: str
    encoding: str
    size: int
    detected: bool  # the encoding was guessed, not marked by a BOM or given


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def _decodes(path: Path, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes strictly; else the byte offset where it stops."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return False, done + exc.start
            done += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, done
    return True, done


def _check_decodes(path: Path, encoding: str) -> None:
    ok, where = _decodes(path, encoding)
    if not ok:
        raise InvalidInput(
            [Problem(path.name, _line_at(path, where), None, f"not valid {encoding}")],
            summary=f"{path.name} is not {encoding}; nothing was imported",
        )


def _line_at(path: Path, offset: int) -> int:
    with path.open("rb") as f:
        return f.read(offset).count(b"\n") + 1


def text_encoding(name: str) -> str:
    """`--encoding NAME` checked: a text encoding, never a bytes-to-bytes codec.

    Python's codec registry also holds rot13, base64, hex, uu, zlib and bz2: fed a
    file they transform or inflate it (bz2 turns 201 bytes into 424 MB) rather than
    decode it, so only codecs that turn bytes into text are accepted.
    """
    name = name.strip()
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UsageError(
            f"--encoding {name!r}: unknown encoding (e.g. utf-8, cp949, cp932)"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"--encoding {name!r}: not a text encoding (it transforms bytes; "
            "give the file's character encoding, e.g. utf-8, cp949, cp932)"
        )
    return name


def inspect_file(path: Path, *, encoding: str | None = None) -> FileInfo:
    """The file's sha256 and encoding, in one streamed pass; refuses to guess into mojibake."""
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
    utf8_ok = True
    size = 0
    head = b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if not head:
                head = chunk[:4096]
            digest.update(chunk)
            size += len(chunk)
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)  # a sequence cut short at the very end
        except UnicodeDecodeError:
            utf8_ok = False
    sha = digest.hexdigest()
    if encoding:
        encoding = text_encoding(encoding)
        _check_decodes(path, encoding)
        return FileInfo(path, sha, encoding, size, detected=False)
    bom = _bom_encoding(head)
    if bom:
        _check_decodes(path, bom)  # a BOM promises an encoding; the bytes must keep it
        return FileInfo(path, sha, bom, size, detected=False)
    if utf8_ok:
        return FileInfo(path, sha, "utf-8", size, detected=False)
    found = _detect(path, size)
    _check_decodes(path, found)  # judged on the first MiB: the rest must decode too
    return FileInfo(path, sha, found, size, detected=True)


def _detect(path: Path, size: int) -> str:
    """The code page of a file with no BOM that is not UTF-8, on evidence only (charsets)."""
    from crmcli import charsets

    with path.open("rb") as f:
        sample = f.read(CHUNK)
    utf16 = charsets.utf16_without_bom(sample)
    if utf16:
        return utf16
    verdict = charsets.detect(
        sample, complete=len(sample) >= size, header_words=_header_words(), fold=fold_header
    )
    if verdict.encoding:
        return verdict.encoding
    if len(verdict.candidates) > 1:
        why = " or ".join(verdict.candidates) + "?"
    elif verdict.candidates:
        why = f"{verdict.candidates[0]}? {verdict.reason}"
    else:
        why = f"not UTF-8, and {verdict.reason}"
    first = next((n for n, b in enumerate(sample) if b > 0x7F), 0)
    raise InvalidInput(
        [Problem(path.name, _line_at(path, first), None, "the encoding cannot be told")],
        summary=f"cannot tell the encoding of {path.name} ({why}): give --encoding",
    )


def _header_words() -> frozenset[str]:
    """Every header crmcli knows, folded: a header row that reads as one is evidence."""
    # Imported here: the tables live with the imports that own them, which import this.
    from crmcli.customer_import import KNOWN as CUSTOMER_HEADERS
    from crmcli.purchase_import import KNOWN as PURCHASE_HEADERS

    return frozenset(CUSTOMER_HEADERS) | frozenset(PURCHASE_HEADERS)


_DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(sample: str, *, suffix: str = "") -> str:
    """The delimiter that splits the first lines into the most, equally many, fields."""
    if suffix.lower() == ".tsv":
        return "\t"
    lines = sample.splitlines()[:20]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line short
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        agree = sum(1 for c in counts if c == counts[0])
        score = (agree, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


# '1,5', '12,50', '1.234,50', '0,12345': only a decimal comma reads these; '1,000' proves
# nothing, and '12.50' shows a decimal point.
_DECIMAL_COMMA = re.compile(r"[-+]?(\d{1,3}(\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,})")
_DECIMAL_POINT = re.compile(r"[-+]?(\d{1,3}(,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,})")


def sniff_decimal_comma(rows: Sequence[Sequence[str]], delimiter: str) -> bool:
    """A file whose fields are not comma-separated and whose numbers read `1.234,50`."""
    if delimiter == ",":
        return False
    cells = [cell.strip() for row in rows for cell in row]
    if any(_DECIMAL_POINT.fullmatch(c) for c in cells):
        return False
    return any(_DECIMAL_COMMA.fullmatch(c) for c in cells)


# --- headers -----------------------------------------------------------------------------


def fold_header(text: str) -> str:
    """Header comparison form: NFKC, case folded, without spaces, dots, dashes, underscores."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s._\-/:()#]+", "", text)


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written in the file
    key: str  # unique name: the header, 'Phone (2)' for a repeat, 'column 7' for a blank
    field: str | None  # the field it fills; None: kept as an extra field
    label: str | None = None  # a phone's or date's label taken from the header
    label_index: int | None = None  # a column holding the label (Google's 'Phone 1 - Type')
    explicit: bool = False  # mapped by --map
    joined: tuple[int, ...] = ()  # blank-headed columns after it that continue its value
    date_parts: tuple[int, int, int] | None = None  # year (-1: none), month, day columns


def cell_text(cells: Sequence[str], col: Column) -> str:
    """A column's value in a row: continuation columns joined, split dates made one."""
    if col.date_parts is not None:
        y, m, d = (cells[i].strip() if 0 <= i < len(cells) else "" for i in col.date_parts)
        if not (m and d):
            return ""  # a year alone, or nothing: no day to keep
        if m.isdigit() and d.isdigit() and (not y or y.isdigit()):
            day = f"{int(m):02d}-{int(d):02d}"
            return f"{int(y):04d}-{day}" if y else f"--{day}"  # no year: --MM-DD
        return " ".join(p for p in (d, m, y) if p)  # 'March': for the date parser
    value = cells[col.index].strip() if col.index < len(cells) else ""
    if col.joined:
        parts = [value, *(cells[i].strip() for i in col.joined if i < len(cells))]
        value = " ".join(p for p in parts if p)
    return value


# A date split over three columns: 'Birth Year', 'Birth Month', 'Birth Day' (Thunderbird),
# 'Anniversary Month'…, compared folded.
_SPLIT_DATE = re.compile(
    r"(?P<what>birth|birthday|dateofbirth|anniversary)(?P<part>year|month|day)"
)
_SPLIT_TARGET = {"birth": "birthday", "birthday": "birthday", "dateofbirth": "birthday",
                 "anniversary": "anniversary"}  # fmt: skip


def _combine(columns: list[Column], *, continue_blank: bool) -> list[Column]:
    """Columns that make one value: a split date, and blank headers continuing a field."""
    groups: dict[str, dict[str, int]] = {}
    for col in columns:
        m = _SPLIT_DATE.fullmatch(fold_header(col.header)) if not col.explicit else None
        if m:
            groups.setdefault(_SPLIT_TARGET[m["what"]], {})[m["part"]] = col.index
    out = list(columns)
    for target, parts in groups.items():
        if "month" not in parts or "day" not in parts:
            continue
        indexes = (parts.get("year", -1), parts["month"], parts["day"])
        first = min(i for i in indexes if i >= 0)
        key = "/".join(columns[i].key for i in indexes if i >= 0)
        for i in indexes:
            if i >= 0:
                out[i] = replace(columns[i], field=IGNORE)
        out[first] = replace(columns[first], key=key, field=target, date_parts=indexes)
    if continue_blank:
        head: int | None = None
        for i, col in enumerate(out):
            if col.header.strip() or col.explicit:
                head = i if col.field != IGNORE else None
            elif head is not None:
                out[head] = replace(out[head], joined=(*out[head].joined, i))
                out[i] = replace(col, field=IGNORE)
    return out


# Google Contacts pairs columns: 'Phone 1 - Type' labels 'Phone 1 - Value'.
_PAIRED = re.compile(
    r"(?P<group>.+?)\s*(?P<n>\d+)\s*-\s*(?P<part>type|label|value|formatted)$", re.I
)


def map_columns(
    headers: Sequence[str],
    *,
    known: Mapping[str, str],
    paired: Mapping[str, str],
    fields: Sequence[str],
    overrides: Mapping[str, str],
    file_name: str,
    continue_blank: bool = False,
) -> list[Column]:
    """Give each header a field: `--map` first, then the known names; the rest stay extra.

    A date split over year/month/day columns is read as one; with `continue_blank`,
    columns with a blank header right after a named one continue its value.
    """
    allowed = {*fields, IGNORE, EXTRA}
    by_header: dict[str, str] = {}
    for source, target in overrides.items():
        target = target.strip()
        if target not in allowed:
            raise UsageError(
                f"--map {source}={target}: unknown field {target!r}; "
                f"choose from: {', '.join(sorted(allowed))}"
            )
        matches = [h for h in headers if h == source] or [
            h for h in headers if fold_header(h) == fold_header(source)
        ]
        if not matches:
            raise UsageError(f"--map {source}={target}: {file_name} has no column {source!r}")
        by_header[matches[0]] = target
    columns: list[Column] = []
    seen: dict[str, int] = {}
    label_columns: dict[tuple[str, str], int] = {}
    for i, header in enumerate(headers):
        m = _PAIRED.fullmatch(header.strip())
        if m and m["part"].lower() in ("type", "label"):
            label_columns[(fold_header(m["group"]), m["n"])] = i
    for i, raw in enumerate(headers):
        header = raw.strip()
        base = header or f"column {i + 1}"
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base} ({seen[base]})"
        label: str | None = None
        label_index: int | None = None
        target: str | None
        if raw in by_header:
            target = by_header[raw]
            columns.append(Column(i, raw, key, None if target == EXTRA else target, explicit=True))
            continue
        target = known.get(fold_header(header)) if header else None
        m = _PAIRED.fullmatch(header)
        if target is None and m:
            group = fold_header(m["group"])
            part = m["part"].lower()
            if part in ("type", "label"):
                target = IGNORE if group in paired else None  # read with its value
            elif part in ("value", "formatted") and group in paired:
                target = paired[group]
                label_index = label_columns.get((group, m["n"]))
            elif group == "address" and part == "formatted":
                target = "address"
        if target in ("phone", "anniversary") and label_index is None:
            label = _label_from_header(header)
        columns.append(Column(i, raw, key, target, label, label_index))
    return _combine(columns, continue_blank=continue_blank)


def _label_from_header(header: str) -> str | None:
    """'Mobile Phone' → 'Mobile', 'Wedding Anniversary' → 'Wedding'; None for the bare name."""
    words = re.sub(r"(?i)\b(phone|number|tel|telephone|anniversary|date)\b", " ", header).split()
    return " ".join(words) or None


# Fields a customer may have several of; any other field filled by two columns keeps
# the second column's value as an extra field wherever the two differ.
MULTI_VALUED = frozenset({"phone", "email", "tags", "notes", "anniversary"})


def describe_unmapped(columns: Sequence[Column]) -> list[str]:
    """The columns kept as extra fields: those with no field, and repeats of a field."""
    out = [c.key for c in columns if c.field is None]
    seen: set[str] = set()
    for c in columns:
        if c.field is None or c.field in MULTI_VALUED or c.field == IGNORE:
            continue
        if c.field in seen:  # e.g. two `name` headers: never merged or dropped silently
            out.append(f"{c.key} (a second {c.field}, kept where it differs)")
        seen.add(c.field)
    return out


# --- missing-value markers ----------------------------------------------------------------

# Whole cells that say "no value" rather than hold one (spreadsheets, pandas, R and SQL
# exports write these): read as empty in every column, compared case-insensitively.
# Left out on purpose: 'nil' and 'nan' (given names), '0' (a value), 'Na' in title
# case (a Korean family name, 나), and words that are values somewhere ('none' is kept:
# no shop's customer is called None).
MISSING_MARKERS = frozenset(
    {
        "na", "n/a", "n.a.", "n. a.", "#n/a", "#na", "#n/a n/a", "<na>", "null", "<null>",
        "(null)", "none", "(none)", "-", "--", "---", "—", "–", "−", "－", "?", "??", "？",
    }
)  # fmt: skip
# The first characters a marker cell can have: one set lookup rules out most cells.
_MARKER_FIRST = frozenset({" ", "\t", "N", *(m[0] for m in MISSING_MARKERS)})


def is_missing_marker(cell: str) -> bool:
    """Whether a whole cell says 'no value' (NA, N/A, null, -…) rather than holding one."""
    text = cell.strip()
    return text.casefold() in MISSING_MARKERS and text != "Na"


# --- rows ----------------------------------------------------------------------------------


@dataclass
class Table:
    """An open delimited file: its headers, dialect, and a reader positioned after them."""

    info: FileInfo
    delimiter: str
    decimal_comma: bool
    headers: list[str]
    sample: list[list[str]]
    _text: TextIO
    _reader: Any
    _line: int = 1
    _source: Path | None = None  # the text actually read (a spreadsheet's sheet as CSV)
    _source_encoding: str = ""
    markers: dict[str, int] = field(default_factory=dict)  # missing-value marker → cells

    def noted(self, result: ImportResult) -> ImportResult:
        """`result` with what reading the file did to cells: markers read as empty."""
        if self.markers:
            result.markers = dict(self.markers)
            total = sum(self.markers.values())
            each = ", ".join(
                f"{m} ×{n:,}" for m, n in sorted(self.markers.items(), key=lambda x: -x[1])
            )
            result.notes.append(
                f"{total:,} cell(s) holding a missing-value marker read as empty: {each}"
            )
        return result

    def estimated_rows(self) -> int:
        """How many rows the file holds, judged from its size and the sampled rows."""
        sample_chars = sum(len(",".join(row)) + 1 for row in self.sample) or 1
        return self.info.size * len(self.sample) // sample_chars

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number where the row starts, cells); blank lines skipped."""
        reader = self._reader
        line = self._line
        markers = self.markers
        first = _MARKER_FIRST
        check_spans = self.info.encoding != "xlsx"  # a sheet's cells have no quotes to lose
        spanned = (0, 0)  # the last row that ran over several lines: (start, end)
        try:
            for cells in reader:
                start = line + 1
                line = reader.line_num
                if line > start and check_spans:  # a quoted line break: rare, checked
                    self._check_span(start, line, cells)
                    spanned = (start, line)
                for i, cell in enumerate(cells):
                    if cell[:1] in first and is_missing_marker(cell):
                        marker = cell.strip()
                        markers[marker] = markers.get(marker, 0) + 1
                        cells[i] = ""
                if cells and (len(cells) > 1 or cells[0].strip()):
                    yield start, cells
            if spanned[0] and spanned[1] == line and self._ends_inside_quote(spanned[0]):
                raise self._unclosed(spanned[0], line, f"runs to the end of the file (line {line})")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                [Problem(self.info.path.name, line + 1, None, f"not valid {self.info.encoding}")],
                summary=f"{self.info.path.name}: {exc.reason}; nothing was imported",
            ) from None
        except csv.Error as exc:
            raise InvalidInput(
                [Problem(self.info.path.name, line + 1, None, str(exc))],
                summary=f"{self.info.path.name} cannot be read as CSV; nothing was imported",
            ) from None

    def _check_span(self, start: int, end: int, cells: Sequence[str]) -> None:
        """Refuse a row whose quoted field swallowed the rows after it (an unclosed quote).

        Real multi-line values (an address, a note) span a few lines and read as text; a
        quote left open runs on over hundreds of lines, or its lines read as whole rows
        of this file. Then every row after it would be lost inside one value.
        """
        width = len(self.headers)
        opened = start
        for cell in cells:
            breaks = _line_breaks(cell)
            if not breaks:
                continue
            if end - opened > MAX_VALUE_LINES:
                raise self._unclosed(opened, end, f"runs over {end - opened + 1} lines")
            rowlike = 0
            if width >= 3:
                for text in cell.splitlines()[1:]:
                    if len(next(csv.reader([text], delimiter=self.delimiter), [])) == width:
                        rowlike += 1
            if rowlike >= 2 or (rowlike and width >= 5):
                raise self._unclosed(
                    opened, end, f"holds {rowlike} line(s) that read as rows of this file"
                )
            opened += breaks

    def _ends_inside_quote(self, start: int) -> bool:
        """Whether the row starting at `start` is a quoted field left open to the end of file.

        The csv module (not strict) hands such a field back as if it were closed; read the
        row again strictly, which says `unexpected end of data`.
        """
        source = self._source or self.info.path
        encoding = self._source_encoding or self.info.encoding
        with source.open(encoding=encoding, errors="replace", newline="") as f:
            lines = iter(f)
            for _ in range(start - 1):
                next(lines, None)
            try:
                next(csv.reader(lines, delimiter=self.delimiter, strict=True), None)
            except csv.Error as exc:
                return "unexpected end of data" in str(exc)
        return False

    def _unclosed(self, opened: int, end: int, how: str) -> InvalidInput:
        name = self.info.path.name
        return InvalidInput(
            [
                Problem(
                    name,
                    opened,
                    None,
                    f"a quote opened on this line is never closed: the value {how}",
                )
            ],
            summary=(
                f"{name}: an unclosed quote on line {opened} swallows the lines after it "
                f"(to line {end}); close the quote, then import again; nothing was imported"
            ),
        )

    def position(self) -> int:
        try:
            return self._text.buffer.tell()  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            return 0

    def column_values(self, index: int) -> Iterator[str]:
        """One column's values over the whole file, in a separate streamed pass."""
        source = self._source or self.info.path
        encoding = self._source_encoding or self.info.encoding
        with source.open(encoding=encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            try:
                next(reader, None)
                for cells in reader:
                    if index < len(cells):
                        yield cells[index]
            except csv.Error as exc:
                raise _unreadable(self.info.path, reader.line_num + 1, exc) from None


def _line_breaks(text: str) -> int:
    """Line breaks in a value: \n, \r\n and a lone \r each count once."""
    if "\n" not in text and "\r" not in text:
        return 0
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _unreadable(path: Path, line: int, exc: csv.Error) -> InvalidInput:
    """A file the csv module gives up on (a field over its size limit…), as a problem."""
    return InvalidInput(
        [Problem(path.name, line, None, str(exc))],
        summary=f"{path.name} cannot be read as CSV; nothing was imported",
    )


SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


@contextmanager
def open_table(path: Path, *, encoding: str | None = None) -> Iterator[Table]:
    """Open a CSV/TSV/semicolon file (or a spreadsheet's first sheet) for streaming."""
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):  # crmcli's own JSON exports
        from crmcli.json_rows import open_json

        with open_json(path, encoding=encoding) as json_table:
            yield json_table
        return
    if path.suffix.lower() in SPREADSHEETS:
        with (
            _sheet_as_csv(path) as (info, text_path),
            _open_text(path, info, text_path, "utf-8") as table,
        ):
            yield table
        return
    info = inspect_file(path, encoding=encoding)
    with _open_text(path, info, path, info.encoding) as table:
        yield table


@contextmanager
def _open_text(path: Path, info: FileInfo, source: Path, encoding: str) -> Iterator[Table]:
    f = source.open(encoding=encoding, errors="strict", newline="")
    try:
        head = f.read(65536)
        delimiter = sniff_delimiter(head, suffix=source.suffix)
        f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        try:
            headers = next(reader, None)
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            raise _unreadable(path, reader.line_num or 1, exc) from None
        if not headers:
            raise InvalidInput(
                [Problem(path.name, 1, None, "the file is empty")],
                summary=f"{path.name} has no header row; nothing was imported",
            )
        if headers[0].startswith("\ufeff"):
            headers[0] = headers[0][1:]
        line = reader.line_num
        with source.open(encoding=encoding, errors="replace", newline="") as peek:
            peek_reader = csv.reader(peek, delimiter=delimiter)
            next(peek_reader, None)
            sample: list[list[str]] = []
            last = peek_reader.line_num
            try:
                for row in peek_reader:
                    sample.append(row)
                    last = peek_reader.line_num
                    if len(sample) >= SAMPLE_ROWS:
                        break
            except csv.Error as exc:  # the row starts on the line after the last good one
                raise _unreadable(path, last + 1, exc) from None
        yield Table(
            info=info,
            delimiter=delimiter,
            decimal_comma=sniff_decimal_comma(sample, delimiter),
            headers=headers,
            sample=sample,
            _text=f,
            _reader=reader,
            _line=line,
            _source=source,
            _source_encoding=encoding,
        )
    finally:
        f.close()


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


@contextmanager
def _sheet_as_csv(path: Path) -> Iterator[tuple[FileInfo, Path]]:
    """The first sheet written row by row to a temporary UTF-8 CSV (python-calamine)."""
    import tempfile

    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        raise UsageError(
            f"{path.name}: reading spreadsheets needs python-calamine "
            "(pip install 'crmcli[xlsx]'), or save the sheet as CSV"
        ) from None
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    info = FileInfo(path, digest.hexdigest(), "xlsx", path.stat().st_size, detected=False)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine's own errors: not a spreadsheet, encrypted…
        raise InvalidInput(
            [Problem(path.name, 1, None, f"cannot be read as a spreadsheet: {exc}")],
            summary=f"{path.name} cannot be read; nothing was imported",
        ) from None
    with tempfile.TemporaryDirectory(prefix="crmcli-sheet-") as folder:
        text_path = Path(folder) / f"{path.stem}.csv"
        from crmcli.files import open_new_private  # the sheet's rows are personal data

        with open_new_private(text_path, encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for row in sheet.iter_rows():
                writer.writerow([_cell_text(v) for v in row])
        yield info, text_path


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
        f"every date could be read as {' or '.join(sorted(left))}; give --date-order"
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


# --- problems and rejects ------------------------------------------------------------------


GROUP_LINES = 5  # line numbers shown for each reason a file was refused
MAX_GROUPS = 30  # reasons told apart; past that, the rest are counted together
LIST_ALL = 10  # a failed file with at most this many problems lists each of them


@dataclass
class Group:
    """The lines that share one reason to be refused: how many, and the first few."""

    reason: str  # 'name customers who are not in the database: add --create-customers'
    lines: int = 0
    first: list[int] = field(default_factory=list)
    last: int = 0

    def describe(self) -> str:
        shown = ", ".join(f"{n:,}" for n in self.first)
        more = ", …" if self.lines > len(self.first) else ""
        if self.lines == 1:
            return f"1 line {_singular(self.reason)} (line {shown})"
        return f"{self.lines:,} lines {self.reason} (lines {shown}{more})"


def _singular(reason: str) -> str:
    """'name customers…' → 'names customers…': the verb agrees with one line."""
    verb, _, rest = reason.partition(" ")
    verb = {"have": "has", "are": "is"}.get(verb) or (
        verb + "es" if verb.endswith(("ch", "sh", "s", "x")) else verb + "s"
    )
    return f"{verb} {rest}"


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|#\d+|\b\d[\d,.]*\b")


def generic_reason(column: str | None, message: str) -> str:
    """A reason to group by when the problem names none: its message, values left out."""
    text = _QUOTED.sub("…", message)
    return f"have a bad {column}: {text}" if column else f"have this problem: {text}"


@dataclass
class Problems:
    """Problems found in one file: all counted and grouped by reason, the first
    KEEP_PROBLEMS kept to list."""

    file: str
    kept: list[Problem] = field(default_factory=list)
    count: int = 0
    rows: int = 0  # rows with at least one problem
    groups: dict[str, Group] = field(default_factory=dict)

    def add(
        self, line: int, column: str | None, message: str, *, reason: str | None = None
    ) -> None:
        self.count += 1
        if len(self.kept) < KEEP_PROBLEMS:
            self.kept.append(Problem(self.file, line, column, message))
        key = reason or generic_reason(column, message)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                key = "have other problems (see --verbose)"
                group = self.groups.setdefault(key, Group(key))
            else:
                group = self.groups[key] = Group(key)
        if group.last != line:  # a line with two problems of one kind counts once
            group.last = line
            group.lines += 1
            if len(group.first) < GROUP_LINES:
                group.first.append(line)

    def explain(self, *, total_rows: int, rejects: str) -> list[str]:
        """Why a file was refused, the fix first: one line per reason, biggest first; then
        each problem when there are few; then what to do with the rest."""
        out = [g.describe() for g in sorted(self.groups.values(), key=lambda g: -g.lines)]
        if self.count <= LIST_ALL:
            out += [str(p) for p in self.kept]
        else:
            out.append("every problem: add --verbose")
        good = total_rows - self.rows
        if good > 0:
            out.append(
                f"to import the other {good:,} line(s) now: --skip-invalid "
                f"(the refused lines go to {rejects}, each with its reason)"
            )
        return out


class RejectsWriter:
    """`--skip-invalid`: the bad rows, as they were, plus a `reason` column.

    Written through `crmcli.files.Output`: the path is checked before the import starts
    (never the database, never the input file, an existing file only with `force`),
    and the file appears, whole, only when there is at least one rejected row.
    """

    def __init__(
        self,
        path: Path,
        headers: Sequence[str],
        *,
        db: Database,
        source: Path,
        force: bool = False,
    ) -> None:
        from crmcli.files import Output, protect_database, protect_inputs

        self.path = path
        self._out = Output(
            path,
            protect=[*protect_database(db), *protect_inputs(source)],
            force=force,
            newline="",
            what="rejects file",
        )
        self._file = self._out.open()
        self._writer = csv.writer(self._file)  # type: ignore[arg-type]
        self._writer.writerow([*headers, "reason"])
        self.count = 0

    def write(self, cells: Sequence[str], reason: str) -> None:
        self._writer.writerow([*cells, reason])
        self.count += 1

    def finish(self) -> Path | None:
        """Put the file in place if any row was rejected; returns its path, else None."""
        if not self.count:
            self._out.discard()
            return None
        return self._out.commit()

    def abort(self) -> None:
        """The import failed: no rejects file, and an old one at the path is untouched."""
        self._out.discard()
        self._out.retract()


def rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


# --- the record of imports, and undo ---------------------------------------------------------


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    merged: int = 0  # rows folded into a customer an earlier row of the file added
    anonymous: int = 0  # purchase lines with no customer: imported, or skipped if asked


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    kind: str
    file: str
    encoding: str
    counts: Counts
    import_id: int | None = None
    dry_run: bool = False
    columns: dict[str, str | None] = field(default_factory=dict)  # header → field
    unmapped: list[str] = field(default_factory=list)
    rejects: Path | None = None
    customers_created: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    markers: dict[str, int] = field(default_factory=dict)  # 'NA' → cells read as empty


class Unchanged(Exception):
    """Raised inside the transaction when an import would change nothing: rolled back, so
    a re-import writes nothing at all (not even its own record)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("unchanged")
        self.result = result


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back; carries its result."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


def begin(db: Database, *, kind: str, info: FileInfo, options: Mapping[str, Any]) -> int:
    cursor = db.execute(
        "INSERT INTO imports (kind, file_name, sha256, encoding, options, started_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            kind,
            info.path.name,
            info.sha256,
            info.encoding,
            json.dumps(dict(options), ensure_ascii=False, sort_keys=True),
            dates.now_utc(),
        ],
    )
    return int(cursor.lastrowid or 0)


def finish(db: Database, import_id: int, counts: Counts) -> None:
    db.execute(
        "UPDATE imports SET finished_at = ?, added = ?, updated = ?, unchanged = ?, rejected = ?"
        " WHERE id = ?",
        [
            dates.now_utc(),
            counts.added,
            counts.updated,
            counts.unchanged,
            counts.rejected,
            import_id,
        ],
    )


def record_change(
    db: Database,
    import_id: int,
    table: str,
    row_id: int,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Note a row an import added or changed (`before`/`after`: what undo compares)."""
    db.execute(
        "INSERT INTO import_changes (import_id, table_name, row_id, action, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            import_id,
            table,
            row_id,
            action,
            None if before is None else json.dumps(dict(before), ensure_ascii=False),
            None if after is None else json.dumps(dict(after), ensure_ascii=False),
        ],
    )


def finish_or_fail(
    result: ImportResult,
    problems: Problems,
    *,
    skip_invalid: bool,
    dry_run: bool,
    total_rows: int,
    path: Path | None = None,
) -> None:
    """Inside the transaction: abort on problems (unless skipped), roll back a dry run, and
    roll back an import that changed nothing (a re-import leaves no trace)."""
    result.problems = problems.kept
    result.problem_count = problems.count
    if problems.count and not skip_invalid and not dry_run:
        rejects = rejects_path(path).name if path else "FILE.rejects.csv"
        raise InvalidInput(
            problems.kept,
            summary=(
                f"{result.file}: nothing was imported; {problems.rows:,} of {total_rows:,} "
                f"line(s) have problems:"
            ),
            details=problems.explain(total_rows=total_rows, rejects=rejects),
        )
    if dry_run:
        raise DryRun(result)
    c = result.counts
    # Rows refused again (with --skip-invalid) change nothing either: the rejects file
    # is written, the database is not.
    if not (c.added or c.updated or c.merged or result.customers_created):
        raise Unchanged(result)


IMPORT_FIELDS = (
    "id",
    "kind",
    "file_name",
    "encoding",
    "started_at",
    "added",
    "updated",
    "unchanged",
    "rejected",
    "undone_at",
    "sha256",
)


def list_imports(db: Database) -> Iterator[dict[str, Any]]:
    cursor = db.execute(f"SELECT {', '.join(IMPORT_FIELDS)} FROM imports ORDER BY id")
    columns = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(columns, row, strict=True))


def undo(db: Database, import_id: int, *, force: bool = False) -> Any:
    """Put back what an import changed (see `import_undo`): refuses if later work would go."""
    from crmcli import import_undo

    return import_undo.undo(db, import_id, force=force)


# --- profiles ------------------------------------------------------------------------------


def save_profile(
    db: Database, name: str, *, kind: str, mapping: Mapping[str, str], options: Mapping[str, Any]
) -> None:
    """Keep a `--map` set (and options such as the date order) under a name."""
    name = name.strip()
    if not name:
        raise InvalidValue("a profile needs a name")
    with write(db):
        db.execute(
            "INSERT INTO import_profiles (name, kind, mapping, options) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, mapping = excluded.mapping,"
            " options = excluded.options",
            [
                name,
                kind,
                json.dumps(dict(mapping), ensure_ascii=False),
                json.dumps(dict(options), ensure_ascii=False),
            ],
        )


def load_profile(db: Database, name: str, *, kind: str) -> tuple[dict[str, str], dict[str, Any]]:
    row = db.execute(
        "SELECT kind, mapping, options FROM import_profiles WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        raise NotFound(f"no import profile {name!r}")
    if row[0] != kind:
        raise InvalidValue(f"profile {name!r} is for {row[0]} imports, not {kind}")
    return json.loads(row[1]), json.loads(row[2] or "{}")


def parse_map(values: Sequence[str]) -> dict[str, str]:
    """`--map SOURCE=FIELD` options as a dict (the last = splits, so headers may hold =)."""
    out: dict[str, str] = {}
    for value in values:
        source, sep, target = value.rpartition("=")
        if not sep or not source.strip():
            raise UsageError(f"--map takes SOURCE=FIELD, e.g. '전화번호=phone' (got {value!r})")
        out[source.strip()] = target.strip()
    return out
