"""`customers import`: CSV/TSV files (any layout we recognise, or `--map`) and vCards.

Each row becomes a `Record`; a record is matched to a stored customer by shop code,
else normalised phone, else e-mail, then added, updated or left unchanged. Columns
with no field of their own are kept in the customer's `extra` JSON, never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crmcli import (
    customer_fields,
    customers,
    dates,
    evidence,
    import_undo,
    imports,
    locales,
    merge,
    names,
    phones,
    text,
)
from crmcli.contact_window import parse_days, parse_hours
from crmcli.customers import PLAIN_FIELDS
from crmcli.db import write
from crmcli.errors import InvalidValue, UsageError
from crmcli.exports import excel_unsafe

# What a row that matches a stored customer does: `fill` (the default) fills in empty
# values and adds phones, tags and dates; `update` also replaces stored values (and a
# name that plainly differs); `add` stores a row whose name plainly differs from the
# customer it shares a phone or e-mail with as a customer of its own; `skip`; `error`.
ON_CONFLICT = ("fill", "update", "add", "skip", "error")
BULK_ROWS = 5_000  # from this many rows on, the search index is rebuilt rather than kept up

# What a column may be read as (`--map`): every field crmcli reads back (the one table
# in customer_fields.py); `extra.NAME` columns and `--map X=extra` fill extra fields.
FIELDS = tuple(f for f in customer_fields.READ_BACK if f != "extra")

READING_FAMILY = "name_reading family"  # not fields: the two halves of name_reading
READING_GIVEN = "name_reading given"

# Header names, in the languages and layouts shops bring (compared after fold_header).
_NAMES: dict[str, tuple[str, ...]] = {
    "code": (
        "code", "customer code", "customer id", "customer no", "customer number", "client id",
        "member id", "member no", "customerid", "cust id",
        "고객id", "고객번호", "고객코드", "회원번호", "회원id", "회원코드",
        "顧客id", "顧客番号", "顧客コード", "会員番号", "会員id",
        "客户id", "客户编号", "客户代码", "会员号", "会员编号", "客戶編號", "會員編號",
    ),
    "name": (
        "name", "full name", "customer name", "client name", "display name", "contact name",
        "이름", "성명", "고객명", "회원명", "고객이름",
        "氏名", "名前", "お名前", "顧客名", "会員名",
        "姓名", "客户名称", "客户姓名", "客户名", "客戶名稱", "客戶姓名",
    ),
    # Naver writes 성(姓) and 이름(名) when it splits the name.
    "family_name": ("family name", "last name", "surname", "성", "姓", "姓氏", "성(姓)"),
    "given_name": ("given name", "first name", "forename", "名", "名字", "이름(名)"),
    "name_reading": (
        "name reading", "reading", "kana", "name kana", "furigana", "phonetic", "phonetic name",
        "yomi", "pinyin", "name pinyin", "フリガナ", "ふりがな", "カナ", "かな", "読み", "よみ",
        "読み仮名", "よみがな", "氏名（カタカナ）", "氏名（フリガナ）", "氏名(カナ)",
        "お名前（フリガナ）",
        "フリガナ（氏名）", "顧客名カナ", "顧客名（カナ）", "拼音", "姓名拼音", "읽기", "발음",
    ),
    # The reading in two columns (Google, Apple, Japanese lists): joined family first.
    READING_FAMILY: (
        "phonetic last name", "phonetic family name", "yomi last name", "セイ", "姓（カナ）",
        "姓（フリガナ）", "姓カナ", "姓フリガナ",
    ),
    READING_GIVEN: (
        "phonetic first name", "phonetic given name", "yomi first name", "メイ", "名（カナ）",
        "名（フリガナ）", "名カナ", "名フリガナ",
    ),
    "patronymic": ("patronymic", "отчество", "հայրանուն"),
    "phone": (
        "phone", "telephone", "tel", "phone number", "mobile", "mobile phone", "mobile number",
        "cell", "cell phone", "home phone", "business phone", "work phone", "primary phone",
        "other phone", "home phone 2", "business phone 2", "car phone", "company main phone",
        "phone home", "phone work", "phone mobile", "phone other", "phone main", "fax",
        "fax number", "phone home 2", "phone work 2", "집전화", "회사전화", "직장전화",
        "전화번호", "전화", "휴대폰", "휴대폰번호", "핸드폰", "핸드폰번호", "휴대전화", "연락처",
        "電話番号", "電話", "携帯電話", "携帯番号", "携帯", "電話番號", "手機", "手機號碼",
        "电话", "电话号码", "手机", "手机号", "手机号码", "联系电话",
    ),
    "email": (
        "email", "e-mail", "email address", "e-mail address", "mail", "e-mail 2 address",
        "e-mail 3 address", "primary email", "secondary email", "email home", "email work",
        "email other", "이메일", "메일", "전자우편", "개인이메일", "회사이메일", "이메일1",
        "이메일2",
        "メールアドレス", "メール", "電子メール", "邮箱", "电子邮件", "电子邮箱", "電子郵件",
    ),
    "birthday": (
        "birthday", "birth date", "date of birth", "dob", "birthdate", "생년월일", "생일",
        "生年月日", "誕生日", "生日", "出生日期",
    ),
    "birthday_lunar": (
        "birthday lunar", "lunar birthday", "lunar", "음력", "음력생일", "農曆", "农历",
    ),
    "anniversary": (
        "anniversary", "wedding anniversary", "wedding", "기념일", "결혼기념일",
        "記念日", "結婚記念日", "纪念日", "结婚纪念日", "紀念日",
    ),
    "address": (
        "address", "street address", "home address", "mailing address", "home street",
        "주소", "住所", "地址", "住址",
    ),
    "postcode": (
        "postcode", "post code", "postal code", "zip", "zip code", "home postal code",
        "home zipcode", "home zip",
        "우편번호", "郵便番号", "邮编", "邮政编码", "郵遞區號",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "organization name",
        "organization 1 name", "회사", "회사명", "会社", "会社名", "公司", "公司名称",
    ),
    "occupation": (
        "occupation", "job", "job title", "profession", "organization title",
        "organization 1 title", "직업", "직종", "직책", "職業", "职业",
    ),
    "notes": (
        "notes", "note", "memo", "comments", "remarks", "메모", "비고", "備考", "メモ", "备注",
    ),
    "tags": (
        "tags", "tag", "labels", "categories", "group membership", "groups",
        "태그", "그룹", "タグ", "グループ", "标签", "標籤",
    ),
    "owner": ("owner", "staff", "account manager", "sales rep", "담당자", "担当者", "负责人"),
    "gender": ("gender", "sex", "성별", "性別", "性别"),
    "locale": ("locale", "language", "lang", "언어", "言語", "语言", "語言"),
}  # fmt: skip
KNOWN = {imports.fold_header(h): f for f, hs in _NAMES.items() for h in hs}
# Every field's own name (crmcli's export headers: `phones`, `contact_hours`…) too.
KNOWN.update({imports.fold_header(f): f for f in FIELDS if imports.fold_header(f) not in KNOWN})
# Google's numbered groups: 'Phone 1 - Value' (with 'Phone 1 - Type'), 'Event 1 - Value'…
PAIRED = {"phone": "phone", "email": "email", "event": "anniversary", "address": "address"}

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
        return bool(f.get("code") or f.get("name") or f.get("family_name") or f.get("given_name")
                    or f.get("email") or self.phones)  # fmt: skip


class RowProblem(Exception):
    """A value that cannot be stored; `column` names where it came from.

    `others` holds the row's further problems, so a row with several bad values
    lists them all.
    """

    def __init__(self, column: str | None, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.reason_group = reason  # what the rows it happens to have in common, and the fix
        self.others: list[RowProblem] = []

    def all(self) -> list[RowProblem]:
        return [self, *self.others]

    def reason(self) -> str:
        """One line for the rejects file."""
        return "; ".join(f"{p.column}: {p.message}" if p.column else p.message for p in self.all())


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
            raise RowProblem(column, f"{one!r} is not an e-mail address")
        if not record.fields.get("email"):
            record.fields["email"] = one
        elif one.casefold() != record.fields["email"].casefold():
            record.extra[column] = one


def add_tags(record: Record, raw: str) -> None:
    parts = _SPLIT_MULTI.split(raw) if ":::" in raw else re.split(r"[;,]", raw)
    for part in parts:
        tag = " ".join(part.strip().lstrip("*").split())
        if tag and tag not in record.tags:
            record.tags.append(tag)


def row_to_record(
    cells: Sequence[str],
    columns: Sequence[imports.Column],
    orders: Mapping[int, dates.DateOrder | None],
) -> Record:
    record = Record()
    found: list[RowProblem] = []
    for col in columns:
        if col.field == imports.IGNORE:
            continue
        value = imports.cell_text(cells, col)
        if not value:
            continue
        try:
            bad = text.problem(value, multiline=True)  # the check every write path makes
            if bad:  # a NUL or an escape sequence in a name would garble every list
                raise RowProblem(col.key, bad)
            _add_value(record, col, value, cells, orders)
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


def _add_value(
    record: Record,
    col: imports.Column,
    value: str,
    cells: Sequence[str],
    orders: Mapping[int, dates.DateOrder | None],
) -> None:
    """Put one cell's value where it belongs in `record`."""
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
                parsed = imports.parse_file_day(day, orders.get(col.index))
            except InvalidValue as exc:
                raise RowProblem(col.key, str(exc)) from None
            if parsed:
                record.dates.append((_date_label(label), parsed, lunar))
    elif target in ("birthday", "anniversary"):
        try:
            day = imports.parse_file_day(value, orders.get(col.index))
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


def add_value(
    record: Record,
    col: imports.Column,
    value: str,
    cells: Sequence[str],
    orders: Mapping[int, dates.DateOrder | None],
) -> None:
    """Put one value where it belongs in `record` (a vCard's X-CRMCLI- fields use it too)."""
    _add_value(record, col, value, cells, orders)


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


# --- matching and storing -----------------------------------------------------------------------


def record_name(record: Record) -> str | None:
    """The name a row gives, whole or in parts."""
    f = record.fields
    if f.get("name"):
        return str(f["name"])
    parts = [f.get(k) for k in ("family_name", "given_name", "patronymic") if f.get(k)]
    return " ".join(parts) or None


def _tokens_agree(short: list[str], long: list[str]) -> bool:
    """Each word of the shorter name is a word (or the initial) of a distinct word of the other."""
    left = list(long)
    for word in short:
        initial = word.rstrip(".")
        for i, other in enumerate(left):
            if other == word or (len(initial) == 1 and other.startswith(initial)):
                del left[i]
                break
        else:
            return False
    return True


def names_differ(stored: str | None, given: str | None) -> bool:
    """Whether two names plainly belong to different people.

    Folded as `customers dupes` folds them (NFKC, case, Hangul into its letters); word
    order, spacing, a missing middle name or an initial are not a difference, nor is one
    typo in a long Latin-script name. Names in different scripts cannot be compared
    (김민준 may well be Minjun Kim): that is not a plain difference either.
    """
    if not stored or not given:
        return False
    a, b = merge.name_key(stored), merge.name_key(given)
    if a.replace(" ", "") == b.replace(" ", ""):
        return False
    if names.script(stored) != names.script(given):
        return False
    ta, tb = a.split(), b.split()
    short, long = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if _tokens_agree(short, long) or (len(ta) == len(tb) and _tokens_agree(tb, ta)):
        return False
    if names.script(stored) == "latin" and len(ta) == len(tb):
        from rapidfuzz.distance import Levenshtein

        compact_a, compact_b = "".join(sorted(ta)), "".join(sorted(tb))
        if (
            min(len(compact_a), len(compact_b)) >= 8
            and Levenshtein.distance(compact_a, compact_b) <= 1
        ):
            return False
    return True


def _stored_names(db: Database, ids: set[int]) -> dict[int, str | None]:
    marks = ", ".join("?" for _ in ids)
    return dict(db.execute(f"SELECT id, name FROM customers WHERE id IN ({marks})", sorted(ids)))


def match(db: Database, record: Record, region: str) -> tuple[int | None, str]:
    """The stored customer this record describes, and how it was found: code, phone, e-mail.

    A phone or e-mail shared by several customers (a family) is narrowed to the one
    whose name the row gives.
    """
    code = record.fields.get("code")
    if code:
        row = db.execute("SELECT id FROM customers WHERE code = ?", [code]).fetchone()
        if row:
            return int(row[0]), "code"
    name = (record.fields.get("name") or "").strip()
    if name and not code and not record.phones and not record.fields.get("email"):
        # A row that gives only a name (and perhaps a birthday) has nothing else to be
        # found by: the one stored customer of that very name whose birthday does not
        # disagree is that customer, so a re-import finds its rows again.
        same = [
            cid
            for cid, birthday in db.execute(
                "SELECT id, birthday FROM customers WHERE name = ? AND forgotten_at IS NULL",
                [name],
            )
            if not (record.birthday and birthday and birthday != record.birthday)
        ]
        return (same[0] if len(same) == 1 else None), "name"
    candidates: set[int] = set()
    how = "phone"
    for raw, _label in record.phones:
        phone = phones.normalise_known(raw, record.region or region, record.e164)
        if phone.e164:
            sql = "SELECT customer_id FROM customer_phones WHERE e164 = ?"
            candidates |= {r[0] for r in db.execute(sql, [phone.e164])}
        elif phone.digits:
            sql = "SELECT customer_id FROM customer_phones WHERE digits = ?"
            candidates |= {r[0] for r in db.execute(sql, [phone.digits])}
        if candidates:
            break
    if not candidates and record.fields.get("email"):
        how = "e-mail"
        sql = "SELECT id FROM customers WHERE email = ? COLLATE NOCASE"
        candidates = {r[0] for r in db.execute(sql, [record.fields["email"]])}
    if code and candidates:  # a different shop code is a different customer
        sql = "SELECT id FROM customers WHERE id = ? AND (code IS NULL OR code = ?)"
        candidates = {c for c in candidates if db.execute(sql, [c, code]).fetchone()}
    if len(candidates) > 1 and record_name(record):
        stored = _stored_names(db, candidates)
        named = {c for c in candidates if not names_differ(stored[c], record_name(record))}
        if len(named) == 1:
            candidates = named
        elif not named:  # another family member again: a name conflict, not an ambiguity
            candidates = {min(candidates)}
    if len(candidates) > 1:
        ids = ", ".join(f"#{c}" for c in sorted(candidates)[:5])
        raise RowProblem(
            None,
            f"matches several customers ({ids}); give a code to tell them apart",
            reason="matches several customers: give each row a code to tell them apart",
        )
    return (candidates.pop(), how) if candidates else (None, how)


class Writer:
    """Adds new customers in batches (executemany), and updates matched ones in place.

    Rows are checked in full before they are queued, so a bad row leaves nothing behind
    without a savepoint. Queued rows are not in the database yet: a record that could
    match one of them (same code, phone or e-mail) flushes the queue first, so matching
    sees exactly what a row-by-row import would. Memory is one batch, whatever the size.

    A row that matches a customer added earlier in the same file is the same customer
    again (an export with a row per address, say): its values are merged in, and a
    value that contradicts the earlier row's is a conflict, reported by line.
    """

    BATCH = 2_000

    def __init__(
        self,
        db: Database,
        *,
        import_id: int,
        on_conflict: str,
        region: str,
        keep_region: bool = False,
        locale_context: locales.Context | None = None,
    ) -> None:
        self.db = db
        self.locale_context = locale_context or customers.shop_context(db, region=region)
        self.conn = db.conn
        self.import_id = import_id
        self.on_conflict = on_conflict
        self.region = region
        self.keep_region = keep_region  # numbers read in `region` keep it (not the setting's)
        self.with_phones = 0  # rows with a phone number, and those read in their own country
        self.own_country = 0
        self.now = dates.now_utc()
        # Ids are given here (as SQLite would: max + 1) so child rows can be batched too.
        self.first_id = (
            int(self.conn.execute("SELECT coalesce(max(id), 0) FROM customers").fetchone()[0]) + 1
        )
        self.next_id = self.first_id
        self.rows: dict[tuple[str, ...], list[list[Any]]] = {}  # columns → rows
        self.phones: list[tuple[Any, ...]] = []
        self.tags: list[tuple[int, str]] = []
        self.dates: list[tuple[int, str, str, int]] = []
        self.added: list[int] = []
        self.keys: set[Any] = set()  # codes, ('e', e164), ('d', digits), folded e-mails
        self.kept: dict[str, int] = {}  # field → stored values kept where the file differs
        self.kept_rows = 0

    def store(self, record: Record) -> str:
        """Add, update or leave the customer: 'added', 'updated', 'merged' or 'unchanged'."""
        if record.phones:
            self.with_phones += 1
            self.own_country += record.region is not None
        if not record.identity():
            raise RowProblem(
                None,
                "no name, code, phone or e-mail: nothing to know this customer by",
                reason="have no name, code, phone or e-mail: nothing to know the customer by",
            )
        if self.keys and self._may_match_queued(record):
            self.flush()
        existing, how = match(self.db, record, self.region)
        if existing is None:
            self._queue(record)
            return "added"
        ours = existing >= self.first_id  # added earlier in this same file
        if not ours and self.on_conflict == "skip":
            return "unchanged"
        if not ours and self.on_conflict == "error":
            raise RowProblem(
                None,
                f"already stored as customer #{existing} (--on-conflict error)",
                reason="are already stored (--on-conflict error)",
            )
        if how != "code" and (ours or self.on_conflict != "update"):
            stored = _stored_names(self.db, {existing})[existing]
            given = record_name(record)
            if names_differ(stored, given):
                if self.on_conflict == "add" and not ours:
                    self._queue(record)
                    return "added"
                raise RowProblem(
                    None,
                    f"shares its {how} with customer #{existing} ({stored}) but names {given}:"
                    " not the same person, so not updated",
                    reason="share a phone or e-mail with a stored customer of another name"
                    ": not updated; add them as customers of their own with --on-conflict add,"
                    " or overwrite with --on-conflict update",
                )
        replace = self.on_conflict == "update" and not ours
        with write(self.db):  # a savepoint: an update that fails leaves nothing behind
            outcome, differs = _update(
                self.db,
                existing,
                record,
                self.import_id,
                replace=replace,
                merging=ours,
                locale_context=self.locale_context,
                region=record.region or self.region,
                keep_region=self.keep_region or record.region is not None,
            )
            if differs and ours:  # refused inside the savepoint: none of the row is merged
                said = "; ".join(f"{f} {old!r} there, {new!r} here" for f, old, new in differs)
                raise RowProblem(
                    None,
                    f"the same customer as an earlier row (#{existing}), with other values: {said}",
                    reason="repeat an earlier row's customer with other values",
                )
        if differs:
            self.kept_rows += 1
            for f, _old, _new in differs:
                self.kept[f] = self.kept.get(f, 0) + 1
        return "merged" if ours and outcome == "updated" else outcome

    def _may_match_queued(self, record: Record) -> bool:
        keys = self.keys
        code = record.fields.get("code")
        if code and code in keys:
            return True
        for raw, _label in record.phones:
            phone = phones.normalise_known(raw, record.region or self.region, record.e164)
            if (("e", phone.e164) if phone.e164 else ("d", phone.digits)) in keys:
                return True
        email = record.fields.get("email")
        if email:
            return email.casefold() in keys
        name = (record.fields.get("name") or "").strip()
        return bool(name) and ("n", name) in keys

    def _queue(self, record: Record) -> None:
        plain = {k: v for k, v in record.fields.items() if k in PLAIN_FIELDS}
        try:
            values = customers.new_values(
                name=record.fields.get("name"),
                birthday=record.birthday,
                birthday_lunar=record.birthday_lunar,
                birthday_leap=record.birthday_leap,
                contact_days=record.contact_days,
                contact_hours=record.contact_hours,
                do_not_contact=record.do_not_contact,
                extra=record.extra or None,
                now=self.now,
                phones_raw=record.phones,
                locale_context=self.locale_context,
                **plain,
            )
            phone_rows = customers.phone_rows(
                record.phones,
                record.region or self.region,
                record.e164,
                keep_region=self.keep_region or record.region is not None,
            )
            tags = dict.fromkeys(customers.clean_tag(t) for t in record.tags)
            labelled: dict[str, tuple[str, int]] = {}  # a label given twice: the last wins
            for label, day, lunar in record.dates:
                label, stored = customers.clean_date(label, day)
                labelled.pop(label, None)
                labelled[label] = (stored, int(lunar))
        except InvalidValue as exc:
            raise RowProblem(None, str(exc)) from None
        cid = self.next_id
        self.next_id += 1
        self.rows.setdefault(tuple(values), []).append([cid, *values.values()])
        self.phones.extend((cid, *row) for row in phone_rows)
        self.tags.extend((cid, t) for t in tags)
        self.dates.extend((cid, label, day, lunar) for label, (day, lunar) in labelled.items())
        self.added.append(cid)
        keys = self.keys
        if values.get("code"):
            keys.add(values["code"])
        for _position, _label, _raw, e164, digits, _region in phone_rows:
            if e164:
                keys.add(("e", e164))
            keys.add(("d", digits))
        if values.get("email"):
            keys.add(values["email"].casefold())
        if values.get("name"):
            keys.add(("n", values["name"]))
        if len(self.added) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the queued customers and everything that hangs on them."""
        conn = self.conn
        for columns, rows in self.rows.items():
            names = ", ".join(("id", *columns))
            marks = ", ".join("?" for _ in range(len(columns) + 1))
            conn.executemany(f"INSERT INTO customers ({names}) VALUES ({marks})", rows)
        conn.executemany(
            "INSERT INTO customer_phones (customer_id, position, label, raw, e164, digits, region)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            self.phones,
        )
        conn.executemany("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)", self.tags)
        conn.executemany(
            "INSERT INTO customer_dates (customer_id, label, date, lunar) VALUES (?, ?, ?, ?)",
            self.dates,
        )
        # A digest of each customer as added: undo tells later hand edits by it.
        if self.added:
            now = import_undo.states(self.db, self.added)
            conn.executemany(
                "INSERT INTO import_changes (import_id, table_name, row_id, action, after)"
                f" VALUES ({int(self.import_id)}, 'customers', ?, 'insert', ?)",
                ((cid, json.dumps({"digest": import_undo.digest(now[cid])})) for cid in self.added),
            )
        self.rows.clear()
        self.phones.clear()
        self.tags.clear()
        self.dates.clear()
        self.added.clear()
        self.keys.clear()
        self.now = dates.now_utc()


def _snapshot_children(db: Database, customer_id: int) -> dict[str, Any]:
    return {
        "phones": [
            list(r)
            for r in db.execute(
                "SELECT raw, e164, digits, label FROM customer_phones WHERE customer_id = ?"
                " ORDER BY position",
                [customer_id],
            )
        ],
        "tags": [
            r[0]
            for r in db.execute(
                "SELECT tag FROM customer_tags WHERE customer_id = ?", [customer_id]
            )
        ],
        "dates": [
            list(r)
            for r in db.execute(
                "SELECT label, date, lunar FROM customer_dates WHERE customer_id = ?",
                [customer_id],
            )
        ],
    }


def _same(field_name: str, stored: Any, given: Any) -> bool:
    if isinstance(stored, str) and isinstance(given, str):
        if field_name == "email":
            return stored.casefold() == given.strip().casefold()
        return names.fold(stored) == names.fold(given)
    return bool(stored == given)


def _update(
    db: Database,
    customer_id: int,
    record: Record,
    import_id: int,
    *,
    replace: bool,
    merging: bool,
    region: str,
    keep_region: bool = False,
    locale_context: locales.Context | None = None,
) -> tuple[str, list[tuple[str, Any, Any]]]:
    """Bring a stored customer up to the row: fill in what is empty, add phones, tags and
    dates; with `replace`, also overwrite stored values that differ.

    Returns the outcome and the values the row gives that differ from stored ones and
    were kept (field, stored, file's): a merge reports them, a fill counts them.
    """
    current = customers.get(db, customer_id)
    row = dict(current.fields)
    differs: list[tuple[str, Any, Any]] = []
    changes: dict[str, Any] = {}

    def take(key: str, stored: Any, given: Any) -> bool:
        """Whether `given` goes in: where nothing is stored, or replacing a different value."""
        if given in (None, ""):
            return False
        if stored in (None, ""):
            return True
        if _same(key, stored, given):
            return False
        if replace:
            return True
        if key == "name" and not names_differ(stored, given):
            return False  # 'Lee' and 'Lee L.': a way of writing it, not another value
        differs.append((key, stored, given))
        return False

    name = record.fields.get("name")
    new_name = name if name and take("name", row.get("name"), name) else None
    for key, value in record.fields.items():
        if key not in PLAIN_FIELDS or not value:
            continue
        if key in ("family_name", "given_name", "patronymic"):
            # Parts go with a name that goes in; alone they would rename the customer.
            if new_name and (not row.get(key) or replace):
                changes[key] = value
            continue
        if take(key, row.get(key), value):
            changes[key] = value
    birthday = record.birthday if take("birthday", row["birthday"], record.birthday) else None
    region_phones = {p.raw for p in current.phones}
    known_digits = {phones.digits(p.raw) for p in current.phones}
    new_phones = [
        (raw, label)
        for raw, label in record.phones
        if raw not in region_phones and phones.digits(raw) not in known_digits
    ]
    new_tags = [t for t in record.tags if t not in current.tags]
    stored_dates = {d.label: d for d in current.dates}
    new_dates = []
    for label, day, lunar in record.dates:
        old = stored_dates.get(label)
        if old is None or (replace and (old.date, old.lunar) != (day, bool(lunar))):
            new_dates.append((label, day, lunar))
        elif (old.date, old.lunar) != (day, bool(lunar)):
            differs.append((label, old.date, day))
    extra = dict(current.extra)
    new_extra = {}
    for key, value in record.extra.items():
        if key not in extra or (replace and extra[key] != value):
            new_extra[key] = value
        elif extra[key] != value:
            differs.append((key, extra[key], value))
    window = _window_changes(record, row)
    if not changes.get("locale") and locale_context is not None:
        # The file (or a new number with its country code) may tell more than the stored
        # locale rests on: a customer added by hand, now in a Japanese list.
        changes.update(
            customers.stronger_locale(
                current,
                name=new_name or row.get("name"),
                phones_raw=[p.raw for p in current.phones] + [raw for raw, _ in new_phones],
                reading=record.fields.get("name_reading") or row.get("name_reading"),
                context=locale_context,
            )
        )
    if not (
        changes
        or new_name
        or birthday
        or new_phones
        or new_tags
        or new_dates
        or new_extra
        or window
    ):
        return "unchanged", differs
    before: dict[str, Any] = {k: v for k, v in row.items() if k != "id"}
    before.update(_snapshot_children(db, customer_id))
    try:
        customers.edit(
            db,
            customer_id,
            name=new_name,
            birthday=birthday,
            birthday_lunar=record.birthday_lunar if birthday else None,
            **window,
            locale_context=locale_context,
            **changes,
        )
        if new_phones:  # added after the stored ones, which keep their normalised form
            customers.add_phones(
                db, customer_id, new_phones, region=region, known=record.e164,
                keep_region=keep_region,
            )  # fmt: skip
        if new_tags:
            customers.tag(db, customer_id, new_tags)
        for label, day, lunar in new_dates:
            customers.set_date(db, customer_id, label, day, lunar=lunar)
        if new_extra:
            extra.update(new_extra)
            db.execute(
                "UPDATE customers SET extra = ? WHERE id = ?",
                [json.dumps(extra, ensure_ascii=False), customer_id],
            )
    except InvalidValue as exc:
        raise RowProblem(None, str(exc)) from None
    after = import_undo.states(db, [customer_id])[customer_id]
    if merging:  # a customer this import added: its digest, as the merge leaves it
        db.execute(
            "UPDATE import_changes SET after = ? WHERE import_id = ? AND table_name = 'customers'"
            " AND row_id = ? AND action = 'insert'",
            [json.dumps({"digest": import_undo.digest(after)}), import_id, customer_id],
        )
    else:
        imports.record_change(db, import_id, "customers", customer_id, "update", before, after)
    return "updated", differs


def _window_changes(record: Record, row: Mapping[str, Any]) -> dict[str, Any]:
    """Flags and the contact window the file sets and the stored record lacks (never blanks)."""
    out: dict[str, Any] = {}
    if record.birthday_leap and not row["birthday_leap"]:
        out["birthday_leap"] = True
    if record.do_not_contact and not row["do_not_contact"]:
        out["do_not_contact"] = True
    if record.contact_days and parse_days(record.contact_days) != row["contact_days"]:
        out["contact_days"] = record.contact_days
    hours = record.contact_hours
    if hours and parse_hours(hours) != (row["contact_from"], row["contact_until"]):
        out["contact_hours"] = hours
    return out


# --- the import -----------------------------------------------------------------------------


def date_orders(
    table: imports.Table, columns: Sequence[imports.Column], given: dates.DateOrder | None
) -> dict[int, dates.DateOrder | None]:
    """Each date column's reading, inferred from its unambiguous values (a streamed pass)."""
    out: dict[int, dates.DateOrder | None] = {}
    for col in columns:
        if col.field not in ("birthday", "anniversary"):
            continue
        try:
            out[col.index] = imports.infer_date_order(table.column_values(col.index), given=given)
        except dates.AmbiguousDate as exc:
            raise InvalidValue(f"{table.info.path.name}: column {col.key!r}: {exc}") from None
    return out


def import_customers(
    db: Database,
    path: Path,
    *,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    date_order: dates.DateOrder | None = None,
    on_conflict: str = "fill",
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    replace_rejects: bool = False,
    progress: imports.ProgressFn | None = None,
    region: str | None = None,
) -> imports.ImportResult:
    """Import customers from a CSV/TSV file or a vCard file; one transaction.

    Phone numbers without a country code are read in `region`, else the file's own
    country (a row's country column, the code page, the column names), else the
    `phone.region` setting; the result's notes say which.
    """
    if on_conflict not in ON_CONFLICT:
        raise UsageError(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}")
    if path.suffix.lower() in (".vcf", ".vcard"):
        from crmcli import vcard

        info = imports.inspect_file(path, encoding=encoding or vcard.sniff_encoding(path))
        source = vcard.read_records(info)
        if region:  # --region wins over a card's own country
            source = (
                (line, cells, replace(item, region=None) if isinstance(item, Record) else item)
                for line, cells, item in source
            )
        return _run(
            db, info, source, headers=["line", "card", "name"], columns={}, unmapped=[],
            options=dict(on_conflict=on_conflict, region=region), on_conflict=on_conflict,
            dry_run=dry_run, skip_invalid=skip_invalid, rejects=rejects,
            replace_rejects=replace_rejects, progress=progress,
            region=evidence.import_region(db, region, encoding=info.encoding),
        )  # fmt: skip
    with imports.open_table(path, encoding=encoding) as table:
        columns, notes = map_customer_columns(table.headers, mapping or {}, path.name)
        orders = date_orders(table, columns, date_order)
        order_columns = _order_columns(columns)
        if order_columns:  # the sample first: a big order file is refused before any work
            _order_lines_check(
                path, order_columns, (_row_key(c, columns, orders) for c in table.sample)
            )

        # crmcli's own --excel export: its apostrophes before `=`, `+`… are not data
        own = customer_fields.is_own_export(table.headers)
        chosen_region = evidence.import_region(
            db, region, headers=table.headers, encoding=table.info.encoding
        )
        countries = [c.index for c in columns if evidence.is_country_header(c.header)]

        def records() -> Iterator[tuple[int, list[str], Record | RowProblem]]:
            for line, cells in table.rows():
                try:
                    read = [excel_unsafe(c) for c in cells] if own else cells
                    record = row_to_record(read, columns, orders)
                    if not region:  # a row's own country, unless --region says otherwise
                        record.region = _row_country(read, countries)
                    yield line, cells, record
                except RowProblem as problem:
                    yield line, cells, problem
                if progress is not None and line % 1000 == 0:
                    progress(table.position(), table.info.size)

        source = records()
        if order_columns:
            source = _watch_order_lines(source, path, order_columns)
        return table.noted(
            _run(
                db,
                table.info,
                source,
                headers=table.headers,
                columns={c.key: c.field for c in columns},
                unmapped=imports.describe_unmapped(
                    [c for c in columns if not c.header.strip().startswith(EXTRA_PREFIX)]
                ),
                notes=notes,
                region=chosen_region,
                options={
                    "map": dict(mapping or {}),
                    "date_order": date_order,
                    "on_conflict": on_conflict,
                    "region": region,
                    "delimiter": table.delimiter,
                },
                on_conflict=on_conflict,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                rejects=rejects,
                replace_rejects=replace_rejects,
                progress=None,
                estimated_rows=table.estimated_rows(),
            )
        )


EXTRA_PREFIX = customer_fields.EXTRA_PREFIX


def _row_country(cells: Sequence[str], indexes: Sequence[int]) -> str | None:
    """The region a row's country column names ('Japan', '日本', 'JP'), if it has one."""
    for i in indexes:
        if i < len(cells) and cells[i].strip():
            found = evidence.country_region(cells[i])
            if found:
                return found
    return None


def map_customer_columns(
    headers: Sequence[str], mapping: Mapping[str, str], file_name: str
) -> tuple[list[imports.Column], list[str]]:
    """Each header's field; crmcli's own export is read back field by field.

    Its computed columns (id, tier, addressed_as, timestamps) are skipped, and its
    `extra.NAME` columns fill the extra field NAME. Returns the columns and a note.
    """
    known = dict(KNOWN)
    notes: list[str] = []
    if customer_fields.is_own_export(headers):
        computed = [f for f in customer_fields.COMPUTED if f in {h.strip() for h in headers}]
        known.update({imports.fold_header(f): imports.IGNORE for f in computed})
        if computed:
            notes.append(f"crmcli's own export: computed {', '.join(computed)} not read back")
    columns = imports.map_columns(
        headers,
        known=known,
        paired=PAIRED,
        fields=FIELDS,
        overrides=mapping,
        file_name=file_name,
        continue_blank=True,
    )
    out = []
    for col in columns:
        header = col.header.strip()
        if col.field is None and not col.explicit and header.startswith(EXTRA_PREFIX):
            col = replace(col, key=header[len(EXTRA_PREFIX) :])
        out.append(col)
    return out, notes


# --- order lines given to a customers import ------------------------------------------------

# What a purchase line has and a customer does not (read by the purchases import's names).
_ORDER_FIELDS = {"order_id", "line_id", "amount", "quantity", "unit_price", "item", "date"}
ORDER_REPEATS = 0.2  # this share of rows naming a customer an earlier row named: order lines


def _order_columns(columns: Sequence[imports.Column]) -> list[str]:
    """The columns that look like an order's (two at least), else none."""
    from crmcli.purchase_import import KNOWN as PURCHASE_NAMES

    found = [
        c.key
        for c in columns
        if c.field is None and PURCHASE_NAMES.get(imports.fold_header(c.header)) in _ORDER_FIELDS
    ]
    return found if len(found) >= 2 else []


def _row_key(
    cells: Sequence[str],
    columns: Sequence[imports.Column],
    orders: Mapping[int, dates.DateOrder | None],
) -> str | None:
    try:
        return _record_key(row_to_record(cells, columns, orders))
    except RowProblem:
        return None


def _record_key(record: Record) -> str | None:
    """Who a row names, for counting repeats: code, else e-mail, else name, else phone."""
    f = record.fields
    if f.get("code"):
        return "c:" + str(f["code"])
    if f.get("email"):
        return "e:" + str(f["email"]).casefold()
    name = record_name(record)
    if name:
        return "n:" + names.fold(name)
    return "p:" + phones.digits(record.phones[0][0]) if record.phones else None


class _Repeats:
    """Counts the rows that name a customer an earlier row named (memory: one key each)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.rows = 0
        self.repeats = 0

    def add(self, key: str | None) -> None:
        if key is None:
            return
        self.rows += 1
        if key in self.seen:
            self.repeats += 1
        else:
            self.seen.add(key)

    def check(self, path: Path, order_columns: list[str], *, sample: bool = False) -> None:
        if self.repeats >= 2 and self.repeats >= ORDER_REPEATS * self.rows:
            rows = f"the first {self.rows:,} rows" if sample else f"{self.rows:,} rows"
            raise InvalidValue(
                f"this looks like order lines: crmcli purchases import {path} --create-customers"
                f" ({rows} name only {len(self.seen):,} customers, with columns "
                f"{', '.join(order_columns[:4])}); nothing was imported"
            )


def _order_lines_check(path: Path, order_columns: list[str], keys: Iterable[str | None]) -> None:
    repeats = _Repeats()
    for key in keys:
        repeats.add(key)
    repeats.check(path, order_columns, sample=True)


def _watch_order_lines(
    source: Iterable[tuple[int, list[str], Record | RowProblem]],
    path: Path,
    order_columns: list[str],
) -> Iterator[tuple[int, list[str], Record | RowProblem]]:
    """Pass the rows on; at the end, refuse the file (rolling back) if it is order lines."""
    repeats = _Repeats()
    for item in source:
        if isinstance(item[2], Record):
            repeats.add(_record_key(item[2]))
        yield item
    repeats.check(path, order_columns)


def _suspend_search_index(db: Database, estimated_rows: int) -> list[str]:
    """For a big import, stop keeping the search index up row by row; returns the SQL to
    rebuild it and restore its triggers.

    The trigram index costs more per inserted customer than all the rest of the row;
    rebuilding it once afterwards costs a fraction of that, as long as the import is a
    good part of the table. It all happens inside the import's transaction, so a failed
    or killed import leaves the index and its triggers as they were.
    """
    if estimated_rows < BULK_ROWS:
        return []
    existing = db.execute("SELECT count(*) FROM customers").fetchone()[0]
    if estimated_rows * 4 < existing:
        return []
    triggers = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers'"
        " AND name LIKE 'customers_fts_%'"
    ).fetchall()
    for name, _sql in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    return [
        "INSERT INTO customers_fts(customers_fts) VALUES('rebuild')",
        *(sql for _name, sql in triggers),
    ]


def _run(
    db: Database,
    info: imports.FileInfo,
    source: Iterable[tuple[int, list[str], Record | RowProblem]],
    *,
    headers: Sequence[str],
    columns: dict[str, str | None],
    unmapped: list[str],
    options: Mapping[str, Any],
    on_conflict: str,
    dry_run: bool,
    skip_invalid: bool,
    rejects: Path | None,
    progress: imports.ProgressFn | None,
    estimated_rows: int = 0,
    notes: Sequence[str] = (),
    replace_rejects: bool = False,
    region: evidence.RegionChoice | None = None,
) -> imports.ImportResult:
    name = info.path.name
    result = imports.ImportResult(
        kind="customers",
        file=name,
        encoding=info.encoding,
        counts=imports.Counts(),
        dry_run=dry_run,
        columns=columns,
        unmapped=unmapped,
        notes=list(notes),
    )
    problems = imports.Problems(name)
    if region is None:
        region = evidence.import_region(db, None, encoding=info.encoding)
    writer: imports.RejectsWriter | None = None
    if skip_invalid and not dry_run:
        writer = imports.RejectsWriter(
            rejects or imports.rejects_path(info.path),
            headers,
            db=db,
            source=info.path,
            force=replace_rejects,
        )
    counts = result.counts
    try:
        with write(db):
            import_id = imports.begin(db, kind="customers", info=info, options=options)
            result.import_id = import_id
            restore = _suspend_search_index(db, estimated_rows) if not dry_run else []
            # The file's own evidence of its customers' language (headers, encoding),
            # for the rows whose names and phones say nothing stronger.
            file_locale = locales.from_file(encoding=info.encoding, headers=headers)
            if file_locale is not None:
                result.notes.append(
                    f"locale {file_locale.locale} where names and phones tell nothing"
                    f" stronger ({locales.describe(file_locale).removeprefix('inferred: ')})"
                )
            store = Writer(
                db,
                import_id=import_id,
                on_conflict=on_conflict,
                region=region.region,
                keep_region=region.explicit,
                locale_context=customers.shop_context(db, file=file_locale, region=region.region),
            )
            for line, cells, item in source:
                if isinstance(item, Record):
                    try:
                        outcome = store.store(item)
                        setattr(counts, outcome, getattr(counts, outcome) + 1)
                        continue
                    except RowProblem as exc:
                        item = exc
                for problem in item.all():
                    problems.add(line, problem.column, problem.message, reason=problem.reason_group)
                problems.rows += 1
                counts.rejected += 1
                if writer is not None:
                    writer.write(cells, item.reason())
            store.flush()
            if store.with_phones:
                result.notes.append(region.note(store.own_country))
            for sql in restore:
                db.execute(sql)
            imports.finish(db, import_id, counts)
            if store.kept:
                kept = ", ".join(f"{n} {f}" for f, n in sorted(store.kept.items()))
                result.notes.append(
                    f"{store.kept_rows} row(s) give values that differ from the stored ones "
                    f"({kept}); the stored values were kept (--on-conflict update replaces them)"
                )
            imports.finish_or_fail(
                result,
                problems,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                total_rows=sum(
                    (counts.added, counts.updated, counts.unchanged, counts.merged, counts.rejected)
                ),
                path=info.path,
            )
            if writer is not None:  # in place before the import commits (taken back if it fails)
                result.rejects = writer.finish()
    except imports.DryRun:
        result.import_id = None
    except imports.Unchanged:
        result.import_id = None
        result.notes.append("nothing changed; nothing was written to the database")
        if writer is not None:  # the lines refused again are still the user's to see
            result.rejects = writer.finish()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if unmapped:
        result.notes.append(f"kept as extra fields: {', '.join(unmapped)}")
    return result
