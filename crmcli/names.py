"""People's names in any script: their parts, how to fold them for search, how to address them.

Hangul and Chinese/Japanese names are family-name-first; Armenian and Russian names
are given + patronymic + family; Western names are given-first. Where a name cannot
be split with confidence (a Japanese name written without a space), the parts stay
empty and the whole name is used.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from crmcli import locales

KOREAN_COMPOUND_FAMILY = {
    "남궁",
    "황보",
    "제갈",
    "사공",
    "선우",
    "서문",
    "독고",
    "동방",
    "어금",
    "망절",
}
CHINESE_COMPOUND_FAMILY = {
    "欧阳", "歐陽", "司马", "司馬", "诸葛", "諸葛", "上官", "东方", "東方", "皇甫", "尉迟",
    "尉遲", "公孙", "公孫", "慕容", "令狐", "夏侯", "长孙", "長孫", "宇文", "司徒", "端木",
    "轩辕", "軒轅", "西门", "西門", "南宫", "南宮", "独孤", "獨孤",
}  # fmt: skip
_PATRONYMIC = re.compile(
    r"(ovich|evich|ovna|evna|ichna|inichna|ович|евич|овна|евна|ична|инична|ич)$", re.IGNORECASE
)


class NameParts(NamedTuple):
    family: str | None = None
    given: str | None = None
    patronymic: str | None = None


# Checked in this order: a name mixing scripts is taken as its most specific one; any
# other letter is Latin (`script`). Ranges, not compiled classes: see `locales.Scripts`.
_SCRIPTS = locales.Scripts(
    hangul="\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f",
    kana="\u3040-\u30ff\uff66-\uff9f",
    armenian="\u0530-\u058f",
    cyrillic="\u0400-\u04ff",
    han="\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff",
)
_LETTER = re.compile(r"[^\W\d_]")


_ASCII_LETTER = re.compile("[A-Za-z]")


def script(text: str) -> str | None:
    """The script a name is written in: hangul, kana, han, armenian, cyrillic, latin."""
    found = _SCRIPTS.first(text)
    if found is None and _LETTER.search(text):
        return "latin"
    return found


@lru_cache(maxsize=4096)  # the agenda asks for every line, and names repeat (김민준…)
def default_locale(name: str | None) -> str | None:
    """The locale the name alone points to (see `crmcli.locales`); None when it cannot tell.

    A name in kanji alone is never Chinese by itself: only simplified-only forms (张, 陈)
    say Chinese; Japanese-only forms, a space or a common Japanese surname say Japanese.
    """
    if name is not None and name.isascii():
        # No letter but Latin ones can be in it (the common case, and on the agenda it is
        # asked for every line): "en" when it has a letter, as `from_shape` would say.
        return "en" if _ASCII_LETTER.search(name) else None
    guess = locales.from_letters(name) or locales.from_shape(name)
    return guess.locale if guess else None


def split_name(name: str, *, locale: str | None = None) -> NameParts:
    """Guess family / given / patronymic from a full name."""
    name = " ".join(name.split())
    if not name:
        return NameParts()
    kind = script(name)
    words = name.split(" ")
    if kind in ("hangul", "han", "kana"):
        if len(words) == 2:  # 山田 太郎, 김 민준: family first
            return NameParts(family=words[0], given=words[1])
        if len(words) > 2:
            return NameParts()
        return _split_east_asian(name, kind, locale)
    if "," in name:  # "Smith, John"
        family, _, given = name.partition(",")
        return NameParts(family=family.strip() or None, given=given.strip() or None)
    if len(words) == 1:
        return NameParts(given=name)
    if len(words) == 3:
        first, middle, last = words
        if kind == "armenian" or _PATRONYMIC.search(middle):
            return NameParts(given=first, patronymic=middle, family=last)
        if kind == "cyrillic" and _PATRONYMIC.search(last):  # Russian official order
            return NameParts(family=first, given=middle, patronymic=last)
    return NameParts(given=" ".join(words[:-1]), family=words[-1])


def _split_east_asian(name: str, kind: str, locale: str | None) -> NameParts:
    if kind == "hangul":
        if len(name) >= 4 and name[:2] in KOREAN_COMPOUND_FAMILY:
            return NameParts(family=name[:2], given=name[2:])
        if 2 <= len(name) <= 4:
            return NameParts(family=name[:1], given=name[1:])
        return NameParts()
    language = (locale or default_locale(name) or "").split("_")[0]
    if kind == "kana" or language == "ja":
        return _split_japanese(name)
    if language != "zh":
        return NameParts()  # a kanji name of no known language: kept whole, never split as Chinese
    if name[:2] in CHINESE_COMPOUND_FAMILY and len(name) >= 3:
        return NameParts(family=name[:2], given=name[2:])
    if 2 <= len(name) <= 3:
        return NameParts(family=name[:1], given=name[1:])
    return NameParts()


def _split_japanese(name: str) -> NameParts:
    """上原優 → 上原 / 優, at the longest common Japanese surname it begins with; else whole."""
    family = locales.japanese_surname(name)
    if family is None:
        return NameParts()  # no surname we know: the whole name is used (上原優様)
    return NameParts(family=family, given=name[len(family) :])


def full_name(parts: NameParts, *, locale: str | None = None) -> str | None:
    """Put parts back together in the order the name's culture writes it."""
    names = [p for p in (parts.family, parts.given, parts.patronymic) if p]
    if not names:
        return None
    sample = "".join(names)
    kind = script(sample)
    language = (locale or "").split("_")[0]
    if kind in ("hangul", "han", "kana") or language in ("ko", "ja", "zh"):
        sep = "" if kind == "hangul" or (kind == "han" and language != "ja") else " "
        return sep.join(p for p in (parts.family, parts.given) if p)
    return " ".join(p for p in (parts.given, parts.patronymic, parts.family) if p)


def fold(text: str) -> str:
    """Search form: NFKC (full-width → half-width), case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# How a message addresses a customer whose name is not known, by language.
NAMELESS = {
    "ko": "고객님",
    "ja": "お客様",
    "zh": "尊敬的客户",
    "zh_Hant": "尊敬的客戶",
    "hy": "հաճախորդ",
    "ru": "Уважаемый клиент",
    "en": "valued customer",
}


def salutation(
    *,
    name: str | None,
    family: str | None,
    given: str | None,
    patronymic: str | None = None,
    gender: str | None = None,
    locale: str | None = None,
    style: str = "formal",
) -> str:
    """How to address a customer: 김민준 고객님 / 민준 님, 山田様, Ani Armenovna, Mr Smith.

    `style="friendly"` is the warmer form: 민준 님, 太郎さん, John, Ani.
    """
    tag = locale or default_locale(name or given or family) or "en"
    locale = tag.split("_")[0]
    whole = (name or full_name(NameParts(family, given, patronymic), locale=locale) or "").strip()
    if not whole:  # known by code and phone only: never "Dear ," nor a bare 様
        script = "_".join(tag.split("_")[:2])  # zh_Hant is written 客戶, zh_Hans 客户
        return NAMELESS.get(script, NAMELESS.get(locale, NAMELESS["en"]))
    g = (gender or "").strip().lower()[:1]
    male = g in ("m", "남", "男", "м")
    female = g in ("f", "w", "여", "女", "ж")
    if locale == "ko":
        if style == "friendly" and given:
            return f"{given} 님"
        return f"{whole} 고객님" if whole else "고객님"
    if locale == "ja":
        if style == "friendly" and given:
            return f"{given}さん"
        return f"{family or whole}様"
    if locale == "zh":
        if family and (male or female):
            return family + ("先生" if male else "女士")
        return whole
    if style == "friendly" and given:  # John, Ani: the given name alone
        return given
    if given and patronymic:  # Ani Armenovna, Иван Сергеевич: name and patronymic
        return f"{given} {patronymic}"
    if locale in ("hy", "ru", "uk", "be", "kk"):
        return given or whole
    if family and (male or female):
        return f"{'Mr' if male else 'Ms'} {family}"
    # Formal, gender unknown: the whole name (Dear Leap Person), never the given name alone.
    return whole
