"""Reading a file: its bytes, encoding and dialect; its rows, streamed.

A file is read twice at most, streamed both times: a first pass over its bytes takes
the sha256 and settles the encoding (BOM, then strict UTF-8, then `charsets`, limited
to the East Asian and Cyrillic code pages shops use); the second pass parses it row
by row. Spreadsheets are read through a temporary CSV of their first sheet, crmcli's
own JSON exports (`--format json` / `jsonl`) as tables of their own (`open_json`, at
the end): each object a row, its keys the columns (the union over the file, in
first-seen order), its values the text a CSV cell would hold (`customer_fields.flat`:
lists of phones, tags and dates in their flat form, true/false as yes/no, an object such
as `extra` as one `extra.NAME` column per key, numbers with every digit they were
written with; money, a decimal string in crmcli's JSON, as it is). Problems name the
line where the object starts.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from crmcli import customer_fields
from crmcli.errors import InvalidInput, NotFound, Problem, UsageError
from crmcli.files import open_new_private
from crmcli.i18n import M_, M_n, either
from crmcli.imports import charsets
from crmcli.imports.headers import CUSTOMER_HEADERS, PURCHASE_HEADERS, fold_header
from crmcli.imports.result import ImportResult

MAX_VALUE_LINES = 100  # a value longer than this many lines is an unclosed quote
SAMPLE_ROWS = 200  # rows read ahead to sniff dates and decimal commas
CHUNK = 1 << 20


# --- the file: bytes, encoding, dialect ------------------------------------------------


class FileInfo(NamedTuple):
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
            [
                Problem(
                    path.name,
                    _line_at(path, where),
                    None,
                    M_("not valid {encoding}").format(encoding=encoding),
                )
            ],
            summary=M_("{file} is not {encoding}; nothing was imported").format(
                file=path.name, encoding=encoding
            ),
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
            f"--encoding {name!r}: " + M_("unknown encoding (e.g. utf-8, cp949, cp932)")
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"--encoding {name!r}: "
            + M_(
                "not a text encoding (it transforms bytes; give the file's character "
                "encoding, e.g. utf-8, cp949, cp932)"
            )
        )
    return name


def inspect_file(path: Path, *, encoding: str | None = None) -> FileInfo:
    """The file's sha256 and encoding, in one streamed pass; refuses to guess into mojibake."""
    if not path.is_file():
        raise NotFound(f"{path}: " + M_("no such file"))
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
    # Each case a sentence of its own, so that a reader sees all of it in their language.
    if len(verdict.candidates) > 1:
        summary = M_("cannot tell the encoding of {file} ({encodings}?): give --encoding").format(
            file=path.name, encodings=either(verdict.candidates)
        )
    elif verdict.candidates:
        summary = M_(
            "cannot tell the encoding of {file} ({encoding}? {reason}): give --encoding"
        ).format(file=path.name, encoding=verdict.candidates[0], reason=verdict.reason)
    else:
        why = M_("not UTF-8, and {reason}").format(reason=verdict.reason)
        summary = M_("cannot tell the encoding of {file} ({why}): give --encoding").format(
            file=path.name, why=why
        )
    first = next((n for n, b in enumerate(sample) if b > 0x7F), 0)
    raise InvalidInput(
        [Problem(path.name, _line_at(path, first), None, M_("the encoding cannot be told"))],
        summary=summary,
    )


def _header_words() -> frozenset[str]:
    """Every header crmcli knows, folded: a header row that reads as one is evidence."""
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


# One search over a row's cells joined by a separator finds every row that may hold a
# marker (a cell whose first character may start one and which, stripped of white space,
# reads as one whatever its case); only those rows are looked at cell by cell. Looking at
# each of a million rows' cells in Python was half the reading of a purchases file.
# A superset of `is_missing_marker`: IGNORECASE matches wherever casefold() does for these
# ASCII and punctuation markers, and \s is what str.strip() removes.
_SEPARATOR = "\x1f"
_ROW_MAY_HOLD_MARKER = re.compile(
    f"{_SEPARATOR}(?=[{re.escape(''.join(sorted(_MARKER_FIRST)))}])\\s*(?:"
    + "|".join(re.escape(m) for m in sorted(MISSING_MARKERS, key=len, reverse=True))
    + f")\\s*{_SEPARATOR}",
    re.IGNORECASE,
)


def may_hold_marker(text: str, delimiter: str) -> bool:
    """Whether some cell of these whole lines (no quotes in them) may be a missing-value
    marker: the same search as `Table.rows` makes, over many rows at once."""
    cells = text.replace("\n", _SEPARATOR).replace(delimiter, _SEPARATOR)
    return _ROW_MAY_HOLD_MARKER.search(f"{_SEPARATOR}{cells}{_SEPARATOR}") is not None


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
                M_n(
                    "{n:,} cell holding a missing-value marker read as empty: {each}",
                    "{n:,} cells holding a missing-value marker read as empty: {each}",
                    total,
                    each=each,
                )
            )
        return result

    def text_file(self) -> tuple[Path, str, int] | None:
        """The text file the rows are read from (a sheet's: the CSV it was written to), its
        encoding, and how many lines the header takes; None when there is none (JSON)."""
        if self._source is None:
            return None
        return self._source, self._source_encoding or self.info.encoding, self._line

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
        may_hold, separator = _ROW_MAY_HOLD_MARKER.search, _SEPARATOR
        check_spans = self.info.encoding != "xlsx"  # a sheet's cells have no quotes to lose
        spanned = (0, 0)  # the last row that ran over several lines: (start, end)
        start, cells = 0, []
        try:
            for cells in reader:
                start = line + 1
                line = reader.line_num
                if line > start and check_spans:  # a quoted line break: rare, checked
                    self._check_span(start, line, cells)
                    spanned = (start, line)
                if may_hold(f"{separator}{separator.join(cells)}{separator}"):
                    for i, cell in enumerate(cells):
                        if cell[:1] in first and is_missing_marker(cell):
                            marker = cell.strip()
                            markers[marker] = markers.get(marker, 0) + 1
                            cells[i] = ""
                if cells and (len(cells) > 1 or cells[0].strip()):
                    yield start, cells
            if (
                check_spans
                and start
                and self._may_end_inside_quote(start, line, spanned, cells)
                and self._ends_inside_quote(start)
            ):
                raise self._unclosed(
                    start, line, M_("runs to the end of the file (line {line})").format(line=line)
                )
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                [
                    Problem(
                        self.info.path.name,
                        line + 1,
                        None,
                        M_("not valid {encoding}").format(encoding=self.info.encoding),
                    )
                ],
                summary=M_("{file}: {reason}; nothing was imported").format(
                    file=self.info.path.name, reason=exc.reason
                ),
            ) from None
        except csv.Error as exc:
            raise InvalidInput(
                [Problem(self.info.path.name, line + 1, None, str(exc))],
                summary=M_("{file} cannot be read as CSV; nothing was imported").format(
                    file=self.info.path.name
                ),
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
                raise self._unclosed(
                    opened, end, M_("runs over {n} lines").format(n=end - opened + 1)
                )
            rowlike = 0
            if width >= 3:
                for text in cell.splitlines()[1:]:
                    if len(next(csv.reader([text], delimiter=self.delimiter), [])) == width:
                        rowlike += 1
            if rowlike >= 2 or (rowlike and width >= 5):
                raise self._unclosed(
                    opened,
                    end,
                    M_n(
                        "holds {n} line that reads as a row of this file",
                        "holds {n} lines that read as rows of this file",
                        rowlike,
                    ),
                )
            opened += breaks

    def _may_end_inside_quote(
        self, start: int, end: int, spanned: tuple[int, int], cells: Sequence[str]
    ) -> bool:
        """Whether the file's last row may be a quote left open: it ran over several lines,
        kept the file's last line break in a value, or came out short of the header's
        columns (a quote opened on the last line and never closed takes the rest of the
        line, commas and all, and the newline if there is one), or the file ends without
        a line break (the open quote then leaves no trace in the cells). Only then is the
        row read again, strictly: that re-reads the file up to it."""
        return (
            spanned == (start, end)
            or len(cells) < len(self.headers)
            or any(_line_breaks(cell) for cell in cells)
            or not self._ends_with_line_break()
        )

    def _ends_with_line_break(self) -> bool:
        source = self._source or self.info.path
        with source.open("rb") as f:
            if f.seek(0, 2) == 0:
                return True
            f.seek(-1, 2)
            return f.read(1) in (b"\n", b"\r")

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
                    M_("a quote opened on this line is never closed: the value {how}").format(
                        how=how
                    ),
                )
            ],
            summary=M_(
                "{file}: an unclosed quote on line {line} swallows the lines after it (to line "
                "{end}); close the quote, then import again; nothing was imported"
            ).format(file=name, line=opened, end=end),
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
        summary=M_("{file} cannot be read as CSV; nothing was imported").format(file=path.name),
    )


SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


@contextmanager
def open_table(path: Path, *, encoding: str | None = None) -> Iterator[Table]:
    """Open a CSV/TSV/semicolon file (or a spreadsheet's first sheet) for streaming."""
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):  # crmcli's own JSON exports
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
                [Problem(path.name, 1, None, M_("the file is empty"))],
                summary=M_("{file} has no header row; nothing was imported").format(file=path.name),
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
            f"{path.name}: "
            + M_(
                "reading spreadsheets needs python-calamine (pip install 'crmcli[xlsx]'), or "
                "save the sheet as CSV"
            )
        ) from None
    if not path.is_file():
        raise NotFound(f"{path}: " + M_("no such file"))
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
            [
                Problem(
                    path.name,
                    1,
                    None,
                    M_("cannot be read as a spreadsheet: {error}").format(error=exc),
                )
            ],
            summary=M_("{file} cannot be read; nothing was imported").format(file=path.name),
        ) from None
    with tempfile.TemporaryDirectory(prefix="crmcli-sheet-") as folder:
        text_path = Path(folder) / f"{path.stem}.csv"

        with open_new_private(text_path, encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for row in sheet.iter_rows():
                writer.writerow([_cell_text(v) for v in row])
        yield info, text_path


# --- crmcli's own JSON and JSON Lines files, read as tables ------------------------------


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
                    raise _bad(
                        name, line, M_("not valid JSON: {error}").format(error=exc.msg)
                    ) from None
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
        raise _bad(
            name,
            line,
            M_("a JSON file to import holds a list of objects: {example}").format(
                example="[{…}, {…}]"
            ),
        )
    pos += 1
    while True:
        pos = skip(pos, ",")
        if pos >= length or text[pos] == "]":
            return
        start = line
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _bad(
                name, exc.lineno, M_("not valid JSON: {error}").format(error=exc.msg)
            ) from None
        line += text.count("\n", pos, end)
        pos = end
        yield start, value


def _bad(name: str, line: int, message: str) -> InvalidInput:
    return InvalidInput(
        [Problem(name, line, None, message)],
        summary=M_("{file} cannot be read as JSON; nothing was imported").format(file=name),
    )


@dataclass
class JsonTable(Table):
    """A JSON/JSONL file with the interface of `Table`."""

    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        markers = self.markers
        for line, record in self.records:
            cells = [record.get(h, "") for h in self.headers]
            for i, text in enumerate(cells):
                if text and is_missing_marker(text):
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

    def text_file(self) -> tuple[Path, str, int] | None:
        """The text file the rows are read from (a sheet's: the CSV it was written to), its
        encoding, and how many lines the header takes; None when there is none (JSON)."""
        if self._source is None:
            return None
        return self._source, self._source_encoding or self.info.encoding, self._line

    def estimated_rows(self) -> int:
        return len(self.records)


@contextmanager
def open_json(path: Path, *, encoding: str | None = None) -> Iterator[Table]:
    """Open a JSON array of objects, or JSON Lines (one object a line), as a table."""
    info = inspect_file(path, encoding=encoding)
    records: list[tuple[int, dict[str, str]]] = []
    headers: dict[str, None] = {}
    for line, value in _objects(path, info.encoding):
        if not isinstance(value, dict):
            raise _bad(
                path.name,
                line,
                M_("each row must be a JSON object: {example}").format(example='{"name": …}'),
            )
        flat = flatten(value)
        headers.update(dict.fromkeys(flat))
        records.append((line, flat))
    if not headers:
        raise InvalidInput(
            [Problem(path.name, 1, None, M_("the file holds no objects"))],
            summary=M_("{file} has no rows; nothing was imported").format(file=path.name),
        )
    names = list(headers)
    yield JsonTable(
        info=info,
        delimiter=",",
        decimal_comma=False,
        headers=names,
        sample=[[r.get(h, "") for h in names] for _l, r in records[:SAMPLE_ROWS]],
        _text=None,  # type: ignore[arg-type]
        _reader=None,
        records=records,
    )
