"""Headers to fields: by name (English, Korean, Japanese, Chinese; Google, Outlook,
Apple, Thunderbird and Naver layouts) or by `--map`; columns with no field are kept as
extra fields, never dropped."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from crmcli import customer_fields, purchases
from crmcli.errors import UsageError
from crmcli.i18n import M_

IGNORE = "ignore"  # `--map COLUMN=ignore`: the one way to leave a column out on purpose
EXTRA = "extra"  # `--map COLUMN=extra`: keep it among the customer's extra fields


def fold_header(text: str) -> str:
    """Header comparison form: NFKC, case folded, without spaces, dots, dashes, underscores."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s._\-/:()#]+", "", text)


class Column(NamedTuple):
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
        if m.isdecimal() and d.isdecimal() and (not y or y.isdecimal()):  # what int() reads
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
                out[i] = columns[i]._replace(field=IGNORE)
        out[first] = columns[first]._replace(key=key, field=target, date_parts=indexes)
    if continue_blank:
        head: int | None = None
        for i, col in enumerate(out):
            if col.header.strip() or col.explicit:
                head = i if col.field != IGNORE else None
            elif head is not None:
                out[head] = out[head]._replace(joined=(*out[head].joined, i))
                out[i] = col._replace(field=IGNORE)
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
                f"--map {source}={target}: "
                + M_("unknown field {field}; choose from: {fields}").format(
                    field=repr(target), fields=", ".join(sorted(allowed))
                )
            )
        matches = [h for h in headers if h == source] or [
            h for h in headers if fold_header(h) == fold_header(source)
        ]
        if not matches:
            raise UsageError(
                f"--map {source}={target}: "
                + M_("{file} has no column {column}").format(file=file_name, column=repr(source))
            )
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
    return [c.key for c in columns if c.field is None] + [key for key, _ in repeats(columns)]


def repeats(columns: Sequence[Column]) -> list[tuple[str, str]]:
    """(column, field) for each column repeating a field that holds one value (e.g. two
    `name` headers): kept as an extra field wherever it differs, never merged or
    dropped silently."""
    out = []
    seen: set[str] = set()
    for c in columns:
        if c.field is None or c.field in MULTI_VALUED or c.field == IGNORE:
            continue
        if c.field in seen:
            out.append((c.key, c.field))
        seen.add(c.field)
    return out


def parse_map(values: Sequence[str]) -> dict[str, str]:
    """`--map SOURCE=FIELD` options as a dict (the last = splits, so headers may hold =)."""
    out: dict[str, str] = {}
    for value in values:
        source, sep, target = value.rpartition("=")
        if not sep or not source.strip():
            raise UsageError(
                M_("--map takes SOURCE=FIELD, e.g. '전화번호=phone' (got {value})").format(
                    value=repr(value)
                )
            )
        out[source.strip()] = target.strip()
    return out


# --- the names each field goes by in the files shops bring ----------------------------------

# What a column may be read as (`--map`): every field crmcli reads back (the one table
# in customer_fields.py); `extra.NAME` columns and `--map X=extra` fill extra fields.
CUSTOMER_FIELDS = tuple(f for f in customer_fields.READ_BACK if f != "extra")

READING_FAMILY = "name_reading family"  # not fields: the two halves of name_reading
READING_GIVEN = "name_reading given"

# Header names, in the languages and layouts shops bring (compared after fold_header).
_CUSTOMER_NAMES: dict[str, tuple[str, ...]] = {
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
CUSTOMER_HEADERS = {fold_header(h): f for f, hs in _CUSTOMER_NAMES.items() for h in hs}
# Every field's own name (crmcli's export headers: `phones`, `contact_hours`…) too.
CUSTOMER_HEADERS.update(
    {fold_header(f): f for f in CUSTOMER_FIELDS if fold_header(f) not in CUSTOMER_HEADERS}
)
# Google's numbered groups: 'Phone 1 - Value' (with 'Phone 1 - Type'), 'Event 1 - Value'…
CUSTOMER_PAIRED = {"phone": "phone", "email": "email", "event": "anniversary", "address": "address"}


# The purchase fields, and the buyer's phone: stored on a customer the import creates,
# read in the file's own country (or --region).
PURCHASE_FIELDS = (*purchases.FIELDS, "customer_phone")
_PURCHASE_NAMES: dict[str, tuple[str, ...]] = {
    "customer": (
        "customer", "customer id", "customer code", "customerid", "customer no", "client",
        "client id", "member id", "code", "고객", "고객id", "고객번호", "고객코드", "회원번호",
        "顧客", "顧客id", "顧客番号", "顧客コード", "会員番号", "客户", "客户id", "客户编号",
        "客户代码", "客戶編號",
    ),
    "customer_name": (
        "customer name", "client name", "name", "고객명", "고객이름", "이름", "성명",
        "顧客名", "氏名", "客户名称", "客户姓名", "客戶名稱",
    ),
    "order_id": (
        "order id", "order", "order no", "order number", "invoice", "invoice no",
        "invoiceno", "invoice number", "receipt", "receipt no", "transaction id",
        "주문번호", "주문id", "영수증번호", "注文番号", "注文id", "伝票番号", "订单号", "订单编号",
        "訂單編號",
    ),
    "line_id": ("line id", "row id", "line item id", "order line id", "라인id", "明細id"),
    "date": (
        "date", "order date", "purchase date", "invoice date", "invoicedate", "sale date",
        "sales date", "transaction date", "주문일", "주문일자", "구매일", "구매일자", "날짜",
        "판매일", "注文日", "購入日", "日付", "売上日", "订单日期", "购买日期", "日期", "下单日期",
    ),
    "amount": (
        "amount", "sales", "total", "line total", "revenue", "sale amount", "net amount",
        "금액", "매출", "매출액", "판매금액", "결제금액", "金額", "売上", "売上金額", "金额",
        "销售额", "销售金额",
    ),
    "quantity": ("quantity", "qty", "units", "수량", "数量"),
    "unit_price": ("unit price", "unitprice", "price", "단가", "판매가", "単価", "单价", "價格"),
    "item": (
        "item", "product", "product name", "description", "item name", "상품명", "제품명",
        "상품", "商品名", "品名", "商品", "商品名称", "产品名称", "产品", "商品名稱",
    ),
    "category": (
        "category", "product category", "카테고리", "분류", "상품분류", "カテゴリ",
        "カテゴリー", "分類", "类别", "分类", "類別",
    ),
    "delivery_date": (
        "delivery date", "delivered", "delivered on", "ship date", "shipping date", "shipped",
        "shipped on", "date shipped", "배송일", "배송일자", "발송일", "출고일", "発送日", "出荷日",
        "发货日期", "發貨日期", "出貨日期", "配達日", "配送日",
        "配送日期", "送货日期",
    ),
    "note": ("note", "notes", "memo", "메모", "비고", "備考", "备注"),
}  # fmt: skip
_PURCHASE_NAMES["customer_phone"] = (
    "customer phone", "phone", "telephone", "tel", "phone number", "mobile", "전화번호", "연락처",
    "휴대폰", "휴대폰번호", "電話番号", "電話", "携帯電話", "电话", "电话号码", "手机", "手机号",
    "手機", "電話號碼", "联系电话",
)  # fmt: skip
PURCHASE_HEADERS = {fold_header(h): f for f, hs in _PURCHASE_NAMES.items() for h in hs}
