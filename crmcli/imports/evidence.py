"""What a file says about where it comes from: its encoding, its headers, a country column.

One reading serves both: the phone region of an import (a Japanese list's
`03-1234-5678` is a Tokyo number, not a Korean one) and the locale evidence of its
customers (the language they are greeted in when their names and numbers say nothing
stronger). Only a file's own make-up counts here — the code page it was saved in and
the language of its column names — never the names of the people in it: a Korean shop's
list of Chinese customers is still a Korean file.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from crmcli import locales, settings
from crmcli.errors import UsageError
from crmcli.i18n import M_, M_n

# Code pages a spreadsheet of one country saves in (Python's codec names, normalised).
_ENCODINGS = {
    "cp932": "JP", "shift_jis": "JP", "shift-jis": "JP", "sjis": "JP", "euc_jp": "JP",
    "euc-jp": "JP", "iso2022_jp": "JP", "iso-2022-jp": "JP", "ms932": "JP",
    "cp949": "KR", "euc_kr": "KR", "euc-kr": "KR", "uhc": "KR", "ms949": "KR",
    "gb18030": "CN", "gbk": "CN", "gb2312": "CN", "cp936": "CN",
    "big5": "TW", "cp950": "TW", "big5hkscs": "HK",
}  # fmt: skip
_REGION_NAMES = {"JP": "Japanese", "KR": "Korean", "CN": "Chinese", "TW": "Taiwanese",
                 "HK": "Hong Kong"}  # fmt: skip

_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile("[\u3040-\u30ff\uff66-\uff9f]")
_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")
# Han headers that are Japanese words (written the same in no Chinese export).
_JAPANESE_WORDS = (
    "氏名", "名前", "顧客名", "会員", "番号", "電話番号", "携帯", "住所", "郵便", "生年月日",
    "誕生日", "備考", "会社", "担当", "記念日", "注文", "購入日", "売上", "単価", "商品名",
    "品名", "発送", "配達", "性別", "職業", "日付", "金額",
)  # fmt: skip
# Characters only simplified Chinese writes, and only traditional Chinese (Japanese
# writes 号, 戸, 単, 価, 売, 連, 発, 会 instead; 電話, 住址, 姓名 tell nothing).
_SIMPLIFIED = set("电话码邮编户联员单价货买卖销订纪发负责别类业")
_TRADITIONAL = set("號碼戶單價賣銷聯發會寫")


def header_region(header: str) -> str | None:
    """The country whose language a column name is written in: JP, KR, CN, TW, or None."""
    if _HANGUL.search(header):
        return "KR"
    if _KANA.search(header):
        return "JP"
    if not _HAN.search(header):
        return None
    if any(word in header for word in _JAPANESE_WORDS):
        return "JP"
    chars = set(header)
    if chars & _SIMPLIFIED and not chars & _TRADITIONAL:
        return "CN"
    if chars & _TRADITIONAL and not chars & _SIMPLIFIED:
        return "TW"
    return None


class Evidence(NamedTuple):
    """Where a file most likely comes from, and why (empty when it does not say): the
    country its phone numbers are read in, and the locale evidence for its customers."""

    region: str | None
    reasons: tuple[str, ...] = ()
    locale: locales.Guess | None = None  # source 'file:headers' or 'file:<code page>'

    @property
    def language(self) -> str | None:
        return locales.language(self.locale.locale) if self.locale else None


def file_evidence(*, headers: Iterable[str] = (), encoding: str | None = None) -> Evidence:
    """The file's country from its code page and its column names (none when they
    disagree), and the language that makes its customers' locale evidence."""
    headers = tuple(headers)
    votes: dict[str, list[str]] = {}
    enc = (encoding or "").lower().replace("_", "-")
    region = _ENCODINGS.get(enc) or _ENCODINGS.get(enc.replace("-", "_"))
    if region:
        votes.setdefault(region, []).append(encoding or "")
    by_header: dict[str, int] = {}
    for header in headers:
        found = header_region(header)
        if found:
            by_header[found] = by_header.get(found, 0) + 1
    if by_header:
        best = max(by_header, key=lambda r: by_header[r])
        if len(by_header) == 1 or by_header[best] > sum(by_header.values()) / 2:
            votes.setdefault(best, []).append(f"{_REGION_NAMES.get(best, best)} headers")
    if len(votes) != 1:  # nothing said, or encoding and headers disagree: no country
        return Evidence(None, locale=_locale(None, False, headers, encoding))
    [(region, reasons)] = votes.items()
    by_headers = any(r.endswith("headers") for r in reasons)
    return Evidence(region, tuple(reasons), _locale(region, by_headers, headers, encoding))


def _locale(
    region: str | None, by_headers: bool, headers: Sequence[str], encoding: str | None
) -> locales.Guess | None:
    """The file's country as its language; beyond East Asia, a Cyrillic code page or
    Cyrillic or Armenian column names."""
    if region:
        locale = locales.REGION_LOCALE.get(region)
        if locale is None:
            return None
        return locales.Guess(locale, "file:headers" if by_headers else f"file:{_codec(encoding)}")
    letters = [
        g.locale for g in map(locales.from_letters, headers) if g and g.locale in ("ru", "hy")
    ]
    if letters and len(set(letters)) == 1:
        return locales.Guess(letters[0], "file:headers")
    if encoding and locales.ENCODING_LOCALE.get(_codec(encoding).replace("-", "_")) == "ru":
        return locales.Guess("ru", f"file:{_codec(encoding)}")
    return None


def _codec(encoding: str | None) -> str:
    try:
        return codecs.lookup(encoding or "").name.replace("_", "-")
    except LookupError:
        return (encoding or "").lower()


# --- a country column ------------------------------------------------------------------

# Column names that hold a country (compared folded: no case, spaces or punctuation).
COUNTRY_HEADERS = frozenset(
    {
        "country", "countryregion", "countrycode", "homecountry", "homecountryregion",
        "businesscountry", "businesscountryregion", "othercountryregion", "address1country",
        "address2country", "shippingcountry", "billingcountry", "nation", "nationality",
        "국가", "나라", "국가명", "国", "国名", "国家", "國家", "国・地域", "国地域", "国籍",
        "國籍", "страна", "երկիր",
    }
)  # fmt: skip
_ALIASES = {
    "KR": ("korea", "republic of korea", "korea republic of", "korea south", "한국", "대한민국",
           "韓国", "韓國", "南韓", "南朝鲜", "kor"),
    "JP": ("japan", "日本", "日本国", "jpn", "nippon"),
    "CN": ("china", "prc", "peoples republic of china", "中国", "中國", "中华人民共和国",
           "中国大陆", "chn", "mainland china"),
    "TW": ("taiwan", "台灣", "臺灣", "台湾", "twn", "republic of china", "中華民國"),
    "HK": ("hong kong", "香港", "hkg"),
    "US": ("usa", "us", "united states", "united states of america", "america", "미국",
           "アメリカ", "美国", "美國"),
    "GB": ("uk", "united kingdom", "great britain", "england", "scotland", "wales", "gbr"),
    "AM": ("armenia", "hayastan", "Հայաստան", "arm", "아르메니아", "アルメニア", "亚美尼亚"),
    "RU": ("russia", "russian federation", "россия", "rus"),
}  # fmt: skip


def fold(text: str) -> str:
    return re.sub(r"[\s.,'’()\-_/]+", "", unicodedata.normalize("NFKC", text).casefold())


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded country name (any language phonenumbers knows, plus aliases) → region."""
    import phonenumbers
    from phonenumbers.geodata.locale import LOCALE_DATA

    index: dict[str, str] = {}
    for region, by_language in LOCALE_DATA.items():
        for value in by_language.values():
            # '*xx' points at another language's name for the same country
            name = by_language.get(value[1:], "") if value.startswith("*") else value
            if name:
                index.setdefault(fold(name), region)
    for region, aliases in _ALIASES.items():
        for alias in aliases:
            index[fold(alias)] = region
    for region in phonenumbers.SUPPORTED_REGIONS:
        index.setdefault(region.casefold(), region)
    return index


def country_region(text: str) -> str | None:
    """'JP', 'Japan', '日本', '대한민국', 'Korea, Republic of' → the region code; else None."""
    key = fold(text)
    return _country_index().get(key) if key else None


def is_country_header(header: str) -> bool:
    return fold(header) in {fold(h) for h in COUNTRY_HEADERS}


# --- the region an import reads phone numbers in ----------------------------------------


class RegionChoice(NamedTuple):
    """The region for numbers written without a country code, and where it came from."""

    region: str
    explicit: bool  # --region or the file's own country: stored numbers keep it
    why: str

    def note(self, by_row: int = 0) -> str:
        text = M_("phone numbers without a country code read as {region} ({why})").format(
            region=self.region, why=self.why
        )
        if by_row:
            return M_n(
                "{note}; {n} row by its own country column",
                "{note}; {n} rows by their own country column",
                by_row,
                note=text,
            )
        return text


def check_region(region: str) -> str:
    """A region code phone numbers know ('jp' → 'JP'); else a usage error."""
    import phonenumbers

    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            "--region: "
            + M_("{region} is not a region code such as KR, JP, US, AM").format(region=repr(region))
        )
    return code


def import_region(
    db: Any, given: str | None, *, headers: Iterable[str] = (), encoding: str | None = None
) -> RegionChoice:
    """`--region`, else the file's own country (code page, column names), else the setting."""
    if given:
        return RegionChoice(check_region(given), True, "--region")
    found = file_evidence(headers=headers, encoding=encoding)
    if found.region:
        return RegionChoice(found.region, True, "the file: " + ", ".join(found.reasons))
    return RegionChoice(settings.get(db, "phone.region"), False, M_("the phone.region setting"))
