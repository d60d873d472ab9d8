"""vCards in (via `vobject`): 2.1, 3.0 and 4.0 as phones and mail apps write them.

Reading copes with what real exports contain: quoted-printable values with soft line
breaks (Outlook's 2.1), UTF-16 files, `BDAY:--0203` without a year, anniversaries as
`ANNIVERSARY`, `X-ANNIVERSARY`, `X-MS-ANNIVERSARY` or Apple's `itemN.X-ABDATE` with
its `X-ABLabel`, and `X-ALTBDAY;CALSCALE=chinese` as a lunar birthday. Properties with
no field of their own are kept in the customer's extra fields.
"""

from __future__ import annotations

import json
import quopri
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from crmcli import customer_fields
from crmcli.errors import InvalidValue
from crmcli.i18n import M_
from crmcli.imports import evidence, file_dates, reading
from crmcli.imports.customer_record import (
    Record,
    add_email,
    add_phone,
    add_tags,
    add_value,
    join_reading,
    reset_field,
)
from crmcli.imports.headers import READING_FAMILY, READING_GIVEN, Column
from crmcli.imports.problems import RowProblem

# Not customer data, or too big to keep as a note: skipped without a word.
_SKIP = {
    "VERSION", "PRODID", "REV", "PHOTO", "LOGO", "SOUND", "KEY", "LABEL", "UID",
    "X-MS-OL-DESIGN", "X-MS-OL-DEFAULT-POSTAL-ADDRESS", "X-ABLABEL", "CLIENTPIDMAP",
    "KIND", "SOURCE",
}  # fmt: skip
_ANNIVERSARY = {"ANNIVERSARY", "X-ANNIVERSARY", "X-MS-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY"}
_TEXT = {"FN", "NOTE", "TITLE", "ROLE", "NICKNAME"}  # single text values: commas are literal


def sniff_encoding(path: Path) -> str | None:
    """UTF-16 without a BOM shows as every other byte NUL; else let the usual rules decide."""
    with path.open("rb") as f:
        head = f.read(64)
    if head.startswith(b"B\x00E\x00G\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00B\x00E\x00G"):
        return "utf-16-be"
    return None


def _logical_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Unfold continuation lines and quoted-printable soft breaks: (first line no, text)."""
    current: str | None = None
    first = 0
    for n, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if current is not None:
            qp = "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper()
            # A soft break before the card's own END (or the next BEGIN) ends the value:
            # joined, it would swallow the line that closes the card.
            if qp and current.endswith("=") and line.strip().upper() not in _FRAME:
                current = current[:-1] + line
                continue
            if line[:1] in (" ", "\t") and not qp:
                current += line[1:]
                continue
            yield first, current
        current, first = line, n
    if current is not None:
        yield first, current


_FRAME = {"BEGIN:VCARD", "END:VCARD"}


def _cards(lines: Iterable[str]) -> Iterator[tuple[int, str | None, str]]:
    """(line where the card starts, its text as plain unfolded 3.0 lines, '') for each
    card; (line, None, what is wrong) for a card that never ends and for text outside
    any card, so that every card in the file is either read or reported.
    """
    buf: list[str] = []
    start = 0
    stray = 0  # first line of text found outside a card
    for n, line in _logical_lines(lines):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if start:
                yield (
                    start,
                    None,
                    M_("the card has no END:VCARD (the next card begins on line {line})").format(
                        line=n
                    ),
                )
            if stray:
                yield stray, None, M_("text outside any card (a missing BEGIN:VCARD?)")
            buf, start, stray = [], n, 0
        elif not start and line.strip() and upper != "END:VCARD" and not stray:
            stray = n
        if start and line.strip():
            buf.append(_decode_qp(line))
        if upper == "END:VCARD" and start:
            yield start, "\r\n".join(buf) + "\r\n", ""
            buf, start = [], 0
    if start:
        yield start, None, M_("the card has no END:VCARD (the file ends inside it: cut short?)")
    if stray:
        yield stray, None, M_("text outside any card (a missing BEGIN:VCARD?)")


def _decode_qp(line: str) -> str:
    """Decode a quoted-printable property into a plain (escaped) 3.0 one."""
    head, sep, value = line.partition(":")
    if not sep or "QUOTED-PRINTABLE" not in head.upper():
        return _escape_text(head, value) if sep else line
    params = head.split(";")
    charset = "utf-8"
    kept = []
    for p in params:
        key = p.split("=", 1)[0].upper()
        if key == "CHARSET":
            charset = p.split("=", 1)[1]
        elif key != "ENCODING" and p.upper() != "QUOTED-PRINTABLE":
            kept.append(p)
    try:
        text = quopri.decodestring(value.encode("ascii", "replace")).decode(charset, "strict")
    except (LookupError, UnicodeDecodeError):
        text = quopri.decodestring(value.encode("ascii", "replace")).decode("utf-8", "replace")
    text = text.replace("\\", "\\\\").replace("\r\n", "\\n").replace("\n", "\\n")
    return _escape_text(";".join(kept), text)


def _escape_text(head: str, value: str) -> str:
    name = head.split(";")[0].split(".")[-1].upper()
    if name in _TEXT:
        value = re.sub(r"(?<!\\),", r"\\,", value)
        if name != "NOTE":
            value = re.sub(r"(?<!\\);", r"\\;", value)
    return f"{head}:{value}"


def _label(child: Any) -> str | None:
    """'cell', 'home', 'work'…: TYPE= values (3.0) or bare parameters (2.1's TEL;WORK;VOICE)."""
    words = [*child.params.get("TYPE", []), *getattr(child, "singletonparams", [])]
    kept = [w.lower() for w in words if w.upper() not in ("VOICE", "PREF", "INTERNET")]
    return " ".join(kept) or None


def _apple_label(text: str) -> str:
    m = re.fullmatch(r"_\$!<(.*)>!\$_", text.strip())
    return (m[1] if m else text).strip()


def card_to_record(card: Any) -> Record:
    """One parsed vCard as an import record."""
    record = Record()
    groups: dict[str, str] = {}
    for child in card.getChildren():
        if child.name.upper() == "X-ABLABEL" and child.group:
            groups[child.group.upper()] = _apple_label(str(child.value))
    seen: dict[str, int] = {}
    exact: list[tuple[str, Any]] = []
    for child in card.getChildren():
        name = child.name.upper()
        value = child.value
        if name in _SKIP:
            continue
        if customer_fields.vcard_field(name):
            exact.append((name, child))  # crmcli's own copy of a field: read last, it wins
            continue
        key = name.title()
        if child.group and child.group.upper() in groups:
            key = groups[child.group.upper()]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key} ({seen[key]})"
        try:
            _read_property(record, name, child, value, key, groups)
        except InvalidValue as exc:
            raise RowProblem(name, str(exc)) from None
    join_reading(record)  # the two halves; an exact X-CRMCLI field wins below
    for name, child in sorted(exact, key=lambda e: customer_fields.NAMES.index(_field(e[0]))):
        _read_exact(record, name, str(child.value))
    f = record.fields
    if f.get("code") and f.get("name") == f["code"] and not (f.get("family_name") or
                                                          f.get("given_name")):  # fmt: skip
        f["name"] = None  # a card must have an FN: crmcli writes the code there for a nameless one
    return record


def _field(name: str) -> str:
    return customer_fields.vcard_field(name) or ""


def _read_exact(record: Record, name: str, value: str) -> None:
    """An `X-CRMCLI-FIELD` property: the field exactly as crmcli wrote it, over what the
    standard properties said (an ADR's postcode joined into the address, a lunar date
    that vCard can only call a birthday)."""
    field = _field(name)
    if field == "extra":
        try:
            extra = json.loads(value)
        except ValueError:
            raise RowProblem(name, M_("not the JSON object crmcli writes")) from None
        if isinstance(extra, dict):
            record.extra = {str(k): str(v) for k, v in extra.items()}
        return
    reset_field(record, field)
    if value.strip():
        column = Column(0, name, name, field)
        add_value(record, column, value.strip(), [value], {})


def _read_property(
    record: Record, name: str, child: Any, value: Any, key: str, groups: Mapping[str, str]
) -> None:
    fields = record.fields
    if name == "FN":
        fields["name"] = " ".join(str(value).split()) or None
    elif name == "N":
        fields["family_name"] = _joined(value.family)
        fields["given_name"] = _joined(value.given)
        for part, label in ((value.additional, "Middle"), (value.prefix, "Prefix"),
                            (value.suffix, "Suffix")):  # fmt: skip
            if _joined(part):
                record.extra[label] = _joined(part)  # type: ignore[assignment]
    elif name in ("X-PHONETIC-LAST-NAME", "X-PHONETIC-FIRST-NAME"):  # Apple, Google
        part = READING_FAMILY if name.endswith("LAST-NAME") else READING_GIVEN
        if str(value).strip():
            record.reading[part] = str(value).strip()
    elif name == "TEL":
        add_phone(record, _tel_text(str(value)), _label(child), key)
        record.e164.extend(child.params.get("X-E164", []))  # as crmcli writes it
    elif name == "EMAIL":
        add_email(record, str(value), key)
    elif name == "BDAY":
        day = file_dates.parse_file_day(str(value), None)
        if day:
            record.birthday = day
    elif name == "X-ALTBDAY" and "chinese" in str(child.params.get("CALSCALE", "")).lower():
        day = file_dates.parse_file_day(str(value), None)
        if day and not record.birthday:
            record.birthday, record.birthday_lunar = day, True
        elif day:
            record.dates.append(("lunar birthday", day, True))
    elif name in _ANNIVERSARY or name == "X-ABDATE":
        day = file_dates.parse_file_day(str(value), None)
        if day:
            label = groups.get((child.group or "").upper(), "anniversary")
            record.dates.append((label.lower() if label else "anniversary", day, False))
    elif name == "ADR":
        parts = [value.street, value.city, value.region, value.code, value.country]
        text = "\n".join(p for p in (_joined(x) for x in parts) if p)
        if text and not fields.get("address"):
            fields["address"] = text
            if _joined(value.code):
                fields["postcode"] = _joined(value.code)
            if _joined(value.country):  # the card's own country reads its phone numbers
                record.region = evidence.country_region(_joined(value.country) or "")
        elif text:
            record.extra[key] = text
    elif name == "ORG":
        org = _joined(value) if isinstance(value, list) else str(value)
        if org:
            fields["company"] = org.replace("\n", " ")
    elif name == "TITLE":
        fields["occupation"] = str(value)
    elif name == "NOTE":
        fields["notes"] = str(value)
    elif name == "CATEGORIES":
        add_tags(record, ",".join(value) if isinstance(value, list) else str(value))
    elif name in ("GENDER", "X-GENDER"):
        fields["gender"] = str(value).split(";")[0] or None
    else:
        text = _joined(value) if isinstance(value, list) else str(value)
        if text:
            record.extra[key] = text


def _tel_text(value: str) -> str:
    """A vCard 4 `tel:` URI as the number a person writes: 'tel:+1-418-656-9254;ext=102'
    → '+1-418-656-9254 ext. 102' (other URI parameters dropped); anything else as it is."""
    text = value.strip()
    if not text.lower().startswith("tel:"):
        return text
    number, *params = text[4:].split(";")
    for param in params:
        key, _, ext = param.partition("=")
        if key.strip().lower() == "ext" and ext.strip():
            return f"{number.strip()} ext. {ext.strip()}"
    return number.strip()


def _joined(value: Any) -> str | None:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v)
    text = str(value or "").strip()
    return text or None


def read_records(
    info: reading.FileInfo,
) -> Iterator[tuple[int, list[str], Record | RowProblem]]:
    """(line, [line, 'vCard', name], record or problem) for each card, streamed."""
    import vobject

    with info.path.open(encoding=info.encoding, newline="") as f:
        for line, text, wrong in _cards(f):
            name = ""
            if text is None:
                yield line, [str(line), "vCard", name], RowProblem(None, wrong)
                continue
            try:
                card = vobject.readOne(text, ignoreUnreadable=True)
                name = str(card.fn.value) if hasattr(card, "fn") else ""
                yield line, [str(line), "vCard", name], card_to_record(card)
            except RowProblem as problem:
                yield line, [str(line), "vCard", name], problem
            except Exception as exc:  # vobject raises many kinds on a broken card
                yield (
                    line,
                    [str(line), "vCard", name],
                    RowProblem(None, M_("unreadable vCard: {error}").format(error=exc)),
                )
