"""A customer as a file describes it (`Record`), and where an imported customer row is
checked: `row_to_record` (a row of a CSV, TSV, spreadsheet or JSON file) and `add_value`
(each value, which the vCard reader's `card_to_record` uses too)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmcli import customer_fields, dates, phones, text
from crmcli.contact_window import parse_days, parse_hours
from crmcli.errors import InvalidValue
from crmcli.i18n import M_
from crmcli.imports import file_dates
from crmcli.imports.headers import IGNORE, READING_FAMILY, READING_GIVEN, Column, cell_text
from crmcli.imports.problems import RowProblem

_SPLIT_MULTI = re.compile(r"\s+:::\s+")  # Google joins several values with ' ::: '
_TRUE = {"1", "true", "yes", "y", "lunar", "음력", "陰暦", "农历", "農曆", "x"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class Record:
    """One customer as a file describes it, ready to match and store."""

    fields: dict[str, Any] = field(default_factory=dict)  # PLAIN_FIELDS + name
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    birthday: str | None = None
    birthday_lunar: bool = False
    birthday_leap: bool = False
    dates: list[tuple[str, str, bool]] = field(default_factory=list)  # label, day, lunar
    extra: dict[str, str] = field(default_factory=dict)
    reading: dict[str, str] = field(default_factory=dict)  # READING_FAMILY/GIVEN → text
    contact_days: str | None = None
    contact_hours: str | None = None
    do_not_contact: bool = False
    # The numbers' international forms as the file gives them (crmcli's export does):
    # a number written without a country code is read in the country of its own.
    e164: list[str] = field(default_factory=list)
    region: str | None = None  # the row's own country (a country column), if it has one

    def identity(self) -> bool:
        f = self.fields
        return bool(self.phones) or any(f.get(k) for k in customer_fields.IDENTITY_FIELDS)


# --- rows to records -------------------------------------------------------------------------


def add_phone(record: Record, raw: str, label: str | None, column: str) -> None:
    for one in _SPLIT_MULTI.split(raw):
        one = one.strip()
        if not one:
            continue
        if phones.digits(one):
            known = [i for i, (raw, _label) in enumerate(record.phones) if raw == one]
            if not known:
                record.phones.append((one, label))
            elif label and not record.phones[known[0]][1]:  # the same number, now labelled
                record.phones[known[0]] = (one, label)
        else:  # 'mainphone': not a number, but not ours to throw away
            record.extra[column] = one


def add_email(record: Record, raw: str, column: str) -> None:
    for one in _SPLIT_MULTI.split(raw):
        one = one.strip()
        if not one:
            continue
        if not _EMAIL.fullmatch(one):
            raise RowProblem(column, M_("{value!r} is not an e-mail address").format(value=one))
        if not record.fields.get("email"):
            record.fields["email"] = one
        elif text.nocase(one) != text.nocase(record.fields["email"]):
            record.extra[column] = one


def add_tags(record: Record, raw: str) -> None:
    parts = _SPLIT_MULTI.split(raw) if ":::" in raw else re.split(r"[;,]", raw)
    for part in parts:
        tag = " ".join(part.strip().lstrip("*").split())
        if tag and tag not in record.tags:
            record.tags.append(tag)


def row_to_record(
    cells: Sequence[str],
    columns: Sequence[Column],
    orders: Mapping[int, dates.DateOrder | None],
) -> Record:
    """The customers reader's row validation: a row as a `Record`, or a `RowProblem`
    listing every bad value in it (a NUL or escape sequence, a malformed e-mail, date or
    contact window), each naming its column."""
    record = Record()
    found: list[RowProblem] = []
    for col in columns:
        if col.field == IGNORE:
            continue
        value = cell_text(cells, col)
        if not value:
            continue
        try:
            bad = text.problem(value, multiline=True)  # the check every write path makes
            if bad:  # a NUL or an escape sequence in a name would garble every list
                raise RowProblem(col.key, bad)
            add_value(record, col, value, cells, orders)
        except RowProblem as problem:  # keep going: the row's other problems are reported too
            found.append(problem)
    if found:
        found[0].others = found[1:]
        raise found[0]
    return join_reading(record)


def join_reading(record: Record) -> Record:
    """The reading given in two halves (family, given) as one name_reading, family first."""
    if record.reading and not record.fields.get("name_reading"):
        parts = (record.reading.get(READING_FAMILY), record.reading.get(READING_GIVEN))
        record.fields["name_reading"] = " ".join(p for p in parts if p)
    return record


def add_value(
    record: Record,
    col: Column,
    value: str,
    cells: Sequence[str],
    orders: Mapping[int, dates.DateOrder | None],
) -> None:
    """Put one value where it belongs in `record` (a cell; a vCard's X-CRMCLI- field)."""
    target = col.field
    if target is None:
        record.extra[col.key] = value
    elif target in (READING_FAMILY, READING_GIVEN):
        record.reading[target] = value
    elif target == "phone":
        label = col.label
        if col.label_index is not None and col.label_index < len(cells):
            label = cells[col.label_index].strip().lstrip("*").strip() or label
        add_phone(record, value, label, col.key)
    elif target == "email":
        add_email(record, value, col.key)
    elif target == "tags":
        add_tags(record, value)
    elif target == "phones":  # 'mobile: 010-1234-5678; 02-555-0100', as exported
        for raw, label in customer_fields.read_phones(value):
            add_phone(record, raw, label, col.key)
    elif target in ("phone_e164", "phones_e164"):
        record.e164.extend(p.strip() for p in value.split(";") if p.strip())
    elif target in ("birthday_lunar", "birthday_leap", "do_not_contact"):
        setattr(record, target, value.casefold() in _TRUE)
    elif target in ("contact_days", "contact_hours"):
        try:  # checked here, so the row's line is named
            (parse_days if target == "contact_days" else parse_hours)(value)
        except InvalidValue as exc:
            raise RowProblem(col.key, str(exc)) from None
        setattr(record, target, value)
    elif target == "anniversary" and "=" in value:  # 'wedding=2012-05-19; …', as exported
        for label, day, lunar in customer_fields.read_dates(value):
            try:
                parsed = file_dates.parse_file_day(day, orders.get(col.index))
            except InvalidValue as exc:
                raise RowProblem(col.key, str(exc)) from None
            if parsed:
                record.dates.append((_date_label(label), parsed, lunar))
    elif target in ("birthday", "anniversary"):
        try:
            day = file_dates.parse_file_day(value, orders.get(col.index))
        except InvalidValue as exc:
            raise RowProblem(col.key, str(exc)) from None
        if day is None:
            return
        if target == "birthday":
            if record.birthday and record.birthday != day:
                record.extra[col.key] = value
            else:
                record.birthday = day
        else:
            label = col.label
            if col.label_index is not None and col.label_index < len(cells):
                label = cells[col.label_index].strip() or label
            record.dates.append((_date_label(label), day, False))
    elif target == "notes":
        old = record.fields.get("notes")
        record.fields["notes"] = f"{old}\n{value}" if old else value
    elif target == "tier_override":
        record.fields[target] = value.upper()
    elif record.fields.get(target):
        if record.fields[target] != value:
            record.extra[col.key] = value
    else:
        record.fields[target] = value


def reset_field(record: Record, field_name: str) -> None:
    """Forget what `record` holds for a field, so an exact copy of it can take its place."""
    if field_name in ("phone", "phones"):
        record.phones = []
    elif field_name in ("phone_e164", "phones_e164"):
        record.e164 = []
    elif field_name == "anniversary":
        record.dates = []
    elif field_name == "tags":
        record.tags = []
    elif field_name == "birthday":
        record.birthday = None
    elif field_name in ("birthday_lunar", "birthday_leap", "do_not_contact"):
        setattr(record, field_name, False)
    elif field_name in ("contact_days", "contact_hours"):
        setattr(record, field_name, None)
    else:
        record.fields.pop(field_name, None)


def _date_label(label: str | None) -> str:
    label = (label or "").strip()
    low = label.casefold()
    if not label or low in ("anniversary", "기념일", "記念日", "纪念日"):
        return "anniversary"
    if "wedding" in low or "결혼" in low or "結婚" in low or "结婚" in low:
        return "wedding"
    return label


def record_name(record: Record) -> str | None:
    """The name a row gives, whole or in parts."""
    f = record.fields
    if f.get("name"):
        return str(f["name"])
    parts = [f.get(k) for k in ("family_name", "given_name", "patronymic") if f.get(k)]
    return " ".join(parts) or None
