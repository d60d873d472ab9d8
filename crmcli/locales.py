"""A customer's locale: the language to greet them in, and the country whose holidays they keep.

The set is small on purpose — the languages crmcli has salutations and greeting
templates for — and written like BCP 47 (with `_`, as gettext and the holidays
package write it): `ko`, `ja`, `zh_Hans` (simplified Chinese), `zh_Hant`
(traditional Chinese), `hy`, `ru`, `en`, each optionally with a region for the
holiday country (`en_GB`, `zh_Hant_HK`, `ru_KZ`). `--locale ja-JP`, `zh-TW` or
`ZH_cn` are accepted and stored in that canonical form (`ja`, `zh_Hant`, `zh_Hans`):
a region that is the language's home is dropped.

When no locale is given it is inferred from the strongest evidence, in this order:

1. the letters of the name or its reading: Hangul → ko, kana → ja, Armenian → hy,
   Cyrillic → ru; kanji forms only Japanese writes (沢, 辺, 桜, 込…) → ja, hanzi
   forms only simplified Chinese writes (张, 陈, 刘…) → zh_Hans;
2. the import file: Japanese, Korean, Chinese… headers, then its encoding
   (CP932 → ja, CP949 → ko, GB18030 → zh_Hans, Big5 → zh_Hant, CP1251 → ru), as
   `crmcli.imports.evidence` reads a file (the phone region of an import reads it too);
3. a phone number written with its country code (+81 → ja, +82 → ko, +86 → zh_Hans,
   +886 → zh_Hant, +374 → hy, +7 → ru, +1 → en…);
4. the shape of the name: Latin letters → en; a kanji name written with a space
   (山田 太郎) or beginning with a common Japanese surname (上原優) → ja — unless
   the shop itself is Japanese or Chinese, whose own locale then decides;
5. the shop's own locale: the setting `locale.default`, else the language of
   `phone.region`.

A name in kanji alone is therefore never taken for Chinese on weaker evidence than a
Chinese file, a Chinese phone number or a Chinese shop. The inferred locale is stored
with its evidence (`locale_source`), so it does not change from one run to the next
and `customers show` can say why; a locale given by hand (`set`) is never inferred over.
"""

from __future__ import annotations

import pkgutil
import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple

from crmcli.errors import InvalidValue
from crmcli.i18n import M_, N_, said

if TYPE_CHECKING:
    pass


class Language(NamedTuple):
    tag: str  # the canonical tag without a region: ko, zh_Hans…
    name: str
    home: str  # the country whose holidays its speakers keep, unless a region says otherwise


LANGUAGES = {
    lang.tag: lang
    for lang in (
        Language("ko", "Korean", "KR"),
        Language("ja", "Japanese", "JP"),
        Language("zh_Hans", "Chinese (simplified)", "CN"),
        Language("zh_Hant", "Chinese (traditional)", "TW"),
        Language("hy", "Armenian", "AM"),
        Language("ru", "Russian", "RU"),
        Language("en", "English", "US"),
    )
}
# Regions that write Chinese in traditional characters (when `zh` comes without a script).
_HANT_REGIONS = {"TW", "HK", "MO"}
# A country's own language, for the shop's default locale and for phone country codes.
REGION_LOCALE = {
    "KR": "ko", "JP": "ja", "CN": "zh_Hans", "SG": "en_SG", "TW": "zh_Hant",
    "HK": "zh_Hant_HK", "MO": "zh_Hant_MO", "AM": "hy", "RU": "ru", "BY": "ru_BY",
    "KZ": "ru_KZ", "US": "en", "CA": "en_CA", "GB": "en_GB", "IE": "en_IE", "AU": "en_AU",
    "NZ": "en_NZ",
}  # fmt: skip
# Calling code → locale, for numbers written with their country code. Calling codes are
# prefix-free, so at most one of these begins a number.
PHONE_LOCALE = {
    "81": "ja", "82": "ko", "86": "zh_Hans", "886": "zh_Hant", "852": "zh_Hant_HK",
    "853": "zh_Hant_MO", "374": "hy", "7": "ru", "375": "ru_BY", "1": "en", "44": "en_GB",
    "353": "en_IE", "61": "en_AU", "64": "en_NZ",
}  # fmt: skip
# A file's encoding, as Python names it (codecs.lookup(...).name) → its language.
ENCODING_LOCALE = {
    "cp932": "ja", "shift_jis": "ja", "shift_jis_2004": "ja", "shift_jisx0213": "ja",
    "euc_jp": "ja", "euc_jis_2004": "ja", "euc_jisx0213": "ja", "iso2022_jp": "ja",
    "cp949": "ko", "euc_kr": "ko", "johab": "ko", "iso2022_kr": "ko",
    "gb18030": "zh_Hans", "gbk": "zh_Hans", "gb2312": "zh_Hans", "hz": "zh_Hans",
    "big5": "zh_Hant", "big5hkscs": "zh_Hant", "cp950": "zh_Hant",
    "cp1251": "ru", "koi8_r": "ru", "cp866": "ru", "iso8859_5": "ru",
}  # fmt: skip

# How sure each kind of evidence is: a lower rank wins. `set` is a locale given by hand.
RANK = {"set": 0, "name": 1, "reading": 1, "file": 2, "phone": 3, "shape": 4, "default": 5}
SET = "set"
DEFAULT = "default"


class Guess(NamedTuple):
    """A locale and the evidence for it: `set`, `name:kana`, `file:cp932`, `phone:+81`…"""

    locale: str
    source: str

    @property
    def rank(self) -> int:
        return RANK.get(self.source.split(":")[0], RANK[DEFAULT])


def given_source(text: str | None) -> str:
    """The evidence recorded with a locale given from outside: `set`, unless a file of
    crmcli's own (its `locale_source` column) says what it was inferred from."""
    text = (text or "").strip()
    return text if text.split(":")[0] in RANK else SET


class Context(NamedTuple):
    """What is known besides the customer's own record: the shop, and an import's file."""

    default: str  # the shop's locale
    file: Guess | None = None
    region: str = "KR"  # for phone numbers dialled with a national exit code (001 81…)


# --- the tag ----------------------------------------------------------------------------------

_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}))?")
# Country codes typed where a language was meant: say which language.
_COUNTRY_NOT_LANGUAGE = {"kr": "ko", "jp": "ja", "cn": "zh_Hans", "tw": "zh_Hant"}


def canonical(text: str) -> str:
    """The stored form of a locale: `ja-JP` → `ja`, `zh-TW` → `zh_Hant`; refuses unknown ones."""
    value = text.strip()
    m = _TAG.fullmatch(value)
    if not m:
        raise InvalidValue(
            M_("{value} is not a locale; {choices}").format(value=repr(text), choices=_choices())
        )
    lang, script, region = m[1].lower(), (m[2] or "").title(), (m[3] or "").upper()
    if lang == "zh":
        if not script:
            script = "Hant" if region in _HANT_REGIONS else "Hans"
        if script not in ("Hans", "Hant"):
            raise InvalidValue(
                M_("{value}: Chinese is written zh_Hans or zh_Hant").format(value=repr(text))
            )
        lang = f"zh_{script}"
    elif script:
        raise InvalidValue(
            M_("{value}: only Chinese takes a script (zh_Hans, zh_Hant)").format(value=repr(text))
        )
    if lang not in LANGUAGES and lang not in _other_languages():
        hint = _COUNTRY_NOT_LANGUAGE.get(lang)
        if hint:
            raise InvalidValue(
                M_("{value} is a country; its language's locale is {hint}").format(
                    value=repr(text), hint=hint
                )
            )
        raise InvalidValue(
            M_("unknown locale {value}; {choices}").format(value=repr(text), choices=_choices())
        )
    if region and region != _home(lang):
        return f"{lang}_{region}"
    return lang


# Two-letter codes in the C library's alias table that are countries or old aliases.
_NOT_LANGUAGES = frozenset({"jp", "cz", "sp", "pd", "pp", "ph", "in", "iw"})


@lru_cache(maxsize=1)
def _other_languages() -> dict[str, str]:
    """Other ISO 639-1 languages (es, de, vi…) → their home country, from the C library's
    locale aliases: accepted, greeted with the base templates unless the shop adds its own
    (`birthday.es`)."""
    import locale as system_locale

    out: dict[str, str] = {}
    for key, value in system_locale.locale_alias.items():
        lang = re.split(r"[_.@]", key)[0]
        if len(lang) == 2 and lang.isalpha() and lang not in _NOT_LANGUAGES:
            home = re.split(r"[_.@]", value)
            if lang not in out and len(home) > 1 and len(home[1]) == 2:
                out[lang] = home[1].upper()
    return out


def _home(lang: str) -> str:
    if lang in LANGUAGES:
        return LANGUAGES[lang].home
    return _other_languages().get(lang, "")


def _choices() -> str:
    listed = ", ".join(f"{tag} ({lang.name})" for tag, lang in LANGUAGES.items())
    return M_(
        "use one of {listed}, or another two-letter language (es, de, vi…), optionally with a "
        "region (en_GB, zh_Hant_HK)"
    ).format(listed=listed)


def language(locale: str | None) -> str:
    """The language part alone: `zh_Hant_HK` → `zh`, for rules that do not care about script."""
    return (locale or "en").split("_")[0].lower()


def country(locale: str | None) -> str:
    """The country whose holidays a customer with this locale keeps."""
    if not locale:
        return LANGUAGES["en"].home
    parts = locale.split("_")
    if len(parts[-1]) == 2 and parts[-1].isupper():
        return parts[-1]
    base = "_".join(parts[:2]) if parts[0] == "zh" else parts[0]
    if base == "zh":
        base = "zh_Hans"
    return _home(base) or LANGUAGES["en"].home


def template_names(base: str, locale: str | None) -> list[str]:
    """Template names to try, most specific first: birthday.zh_Hant, birthday.zh, birthday."""
    parts = (locale or "").split("_")
    chain = ["_".join(parts[:i]) for i in range(len(parts), 0, -1) if parts[0]]
    return [*(f"{base}.{c}" for c in chain), base]


def holiday_languages(locale: str | None) -> list[str]:
    """The holidays package's language names to try for a customer, best first."""
    lang = language(locale)
    if lang != "zh":
        return [f"{lang}_{country(locale)}", lang]
    hant = "Hant" in (locale or "")
    return ["zh_TW", "zh_HK", "zh_CN"] if hant else ["zh_CN", "zh_TW", "zh_HK"]


# --- evidence ------------------------------------------------------------------------------------


class Scripts:
    """Writing systems as ranges of code points: which of them a text has a letter of.

    Told without a regular expression on purpose: Python compiles a character class
    over thousands of code points (Hangul, Han) in 2-5 ms, in every process, before its
    first search, so a `due` greeting its first Korean and Japanese names paid more for
    that than for its query. Here each character's script is looked up once, by
    bisection, and kept; `str.translate` then reads a text through those answers at C
    speed, as fast as the compiled classes' searches.
    """

    def __init__(self, **scripts: str) -> None:
        # Each script's ranges are written as inside a character class: "a-zA-Z".
        spans: list[tuple[int, int, int]] = []
        for rank, (name, ranges) in enumerate(scripts.items()):
            if len(ranges) % 3 or set(ranges[1::3]) != {"-"}:
                raise ValueError(f"{name}: write each range as first-last, got {ranges!a}")
            spans += [(ord(ranges[i]), ord(ranges[i + 2]), rank) for i in range(0, len(ranges), 3)]
        spans.sort()
        if any(end >= start for (_, end, _), (start, _, _) in pairwise(spans)):
            raise ValueError("the scripts' ranges overlap")
        self.names = tuple(scripts)
        self._ranks = _Ranks(spans)

    def first(self, text: str) -> str | None:
        """The first script, in the order given, that `text` has a letter of."""
        ranks = text.translate(self._ranks)  # each letter of ours as its script's rank
        return self.names[ord(min(ranks))] if ranks else None

    def letters(self, text: str) -> list[str]:
        """The characters of `text` that belong to one of the scripts, in order."""
        return [char for char in text if self._ranks[ord(char)] is not None]


class _Ranks(dict[int, str | None]):
    """Code point → the rank of its script as a character (chr(0) for the first), or None
    (`str.translate` drops it): filled in as characters are met."""

    def __init__(self, spans: list[tuple[int, int, int]]) -> None:
        super().__init__()
        self._starts = [start for start, _, _ in spans]
        self._spans = spans

    def __missing__(self, code: int) -> str | None:
        i = bisect_right(self._starts, code) - 1
        _, end, rank = self._spans[i] if i >= 0 else (0, -1, 0)
        found = chr(rank) if code <= end else None
        self[code] = found
        return found


# Letters that belong to one language of ours alone, looked for in this order.
_SCRIPTS = Scripts(
    hangul="\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f",
    kana="\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    armenian="\u0531-\u058f\ufb13-\ufb17",
    cyrillic="\u0400-\u04ff",
)
_SCRIPT_LOCALES = {"hangul": "ko", "kana": "ja", "armenian": "hy", "cyrillic": "ru"}
_HAN = Scripts(han="\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f")
_LATIN = Scripts(latin="A-Za-z\u00c0-\u024f")


@lru_cache(maxsize=8192)
def _han_form(char: str) -> str | None:
    """'ja' for a kanji form only Japanese writes, 'zh_Hans' for a simplified-only hanzi.

    Told by the character sets: a Japanese-only form (沢, 辺, 桜, 込, 﨑) is in CP932
    and in neither GB2312 nor Big5; a simplified-only form (张, 陈, 刘) is in GB2312
    and in neither CP932 nor Big5. Characters all three share (山, 田, 上, 原) say nothing.
    """
    found = []
    for encoding in ("cp932", "gb2312", "big5"):
        try:
            char.encode(encoding)
            found.append(encoding)
        except UnicodeEncodeError:
            pass
    if found == ["cp932"]:
        return "ja"
    if found == ["gb2312"]:
        return "zh_Hans"
    return None


def from_letters(text: str | None, *, kind: str = "name") -> Guess | None:
    """Evidence in the letters: Hangul, kana, Armenian, Cyrillic, national kanji forms."""
    if not text:
        return None
    script = _SCRIPTS.first(text)
    if script is not None:
        return Guess(_SCRIPT_LOCALES[script], f"{kind}:{script}")
    for char in _HAN.letters(text):
        form = _han_form(char)
        if form == "ja":
            return Guess("ja", f"{kind}:japanese-kanji")
        if form == "zh_Hans":
            return Guess("zh_Hans", f"{kind}:simplified-chinese")
    return None


def from_shape(name: str | None) -> Guess | None:
    """Weak evidence in how a name is written: Latin letters, or a Japanese-looking kanji name."""
    if not name:
        return None
    if _HAN.first(name):
        if _LATIN.first(name):
            return None
        words = name.split()
        if len(words) == 2:
            return Guess("ja", "shape:spaced-kanji")  # 山田 太郎: Chinese is written without
        if len(words) == 1 and japanese_surname(name):
            return Guess("ja", "shape:japanese-surname")
        return None
    if _LATIN.first(name):
        return Guess("en", "shape:latin")
    return None


@lru_cache(maxsize=1)
def _surnames() -> tuple[frozenset[str], int]:
    # The package loader's own read (a zipped install too): importlib.resources would
    # first import itself and zipfile, 10-20 ms on the first kanji name of a `due`.
    data = pkgutil.get_data("crmcli", "data/ja_surnames.txt")
    assert data is not None, "crmcli's loader reads its package's files"
    text = data.decode("utf-8")
    found = frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    return found, max(len(s) for s in found)


def japanese_surname(name: str) -> str | None:
    """The longest common Japanese surname `name` begins with, before a 1-3 character given name."""
    known, longest = _surnames()
    for size in range(min(longest, len(name) - 1), 0, -1):
        if name[:size] in known and 1 <= len(name) - size <= 3:
            return name[:size]
    return None


def from_phone(raw: str, e164: str | None) -> Guess | None:
    """Evidence in a number written with its country code (+81…, or 00 81… dialled abroad)."""
    written = raw.strip()
    if not e164 or not (written.startswith("+") or written.startswith("00")):
        return None
    digits = e164.lstrip("+")
    for size in (1, 2, 3):
        locale = PHONE_LOCALE.get(digits[:size])
        if locale:
            return Guess(locale, f"phone:+{digits[:size]}")
    return None


# --- inference ------------------------------------------------------------------------------------


def infer(
    *,
    name: str | None,
    reading: str | None = None,
    phones: Iterable[tuple[str, str | None]] = (),
    context: Context,
    kept: Guess | None = None,
) -> Guess:
    """The best-supported locale for a customer (see the module's docstring for the order).

    `phones` are (as written, E.164) pairs; `kept` is evidence stored earlier that the
    record itself cannot show again (the file it was imported from).
    """
    candidates = [
        from_letters(name),
        from_letters(reading, kind="reading"),
        context.file,
        kept if kept is not None and kept.source.startswith("file:") else None,
        *(from_phone(raw, e164) for raw, e164 in phones),
    ]
    found = [c for c in candidates if c is not None]
    if found:
        return min(found, key=lambda g: g.rank)
    shape = from_shape(name)
    if shape is not None and not (
        shape.locale == "ja" and language(context.default) in ("ja", "zh")
    ):
        return shape
    return Guess(context.default, DEFAULT)


def describe(guess: Guess) -> str:
    """Why a customer has their locale, in words: for `customers show`.

    English (the page's JSON keeps it so), each sentence a catalog message `said` with
    its values, so the page on a screen says it in the reader's language.
    """
    kind, _, detail = guess.source.partition(":")
    detail = detail.replace("-", " ")
    if kind == SET:
        return said("set")
    if kind in ("name", "reading"):
        letters = said(_LETTERS.get(detail, detail))
        if kind == "name":
            return said("inferred: {letters} in the name", letters=letters)
        return said("inferred: {letters} in the reading", letters=letters)
    if kind == "file":
        if detail == "headers":
            return said("inferred: the import file's headers")
        return said(
            "inferred: the import file, encoded {encoding}", encoding=detail.replace(" ", "-")
        )
    if kind == "phone":
        return said("inferred: phone number {code}", code=detail)
    if kind == "shape":
        shape = _SHAPES.get(detail)
        return said(shape) if shape else said("inferred: {what}", what=detail)
    return said("the shop's locale (locale.default)")


# The evidence `describe` names, as a person reads it (the keys are locale_source's).
_LETTERS = {
    "hangul": N_("hangul"),
    "kana": N_("kana"),
    "armenian": N_("armenian"),
    "cyrillic": N_("cyrillic"),
    "japanese kanji": N_("japanese kanji"),
    "simplified chinese": N_("simplified chinese"),
}
_SHAPES = {
    "latin": N_("inferred: a name in Latin letters"),
    "spaced kanji": N_("inferred: a kanji name written with a space"),
    "japanese surname": N_("inferred: a common Japanese surname"),
}


def check_setting(value: str) -> str | None:
    """The check of `locale.default`: empty, or a locale."""
    if not value:
        return None
    try:
        canonical(value)
    except InvalidValue as exc:
        return str(exc)
    return None
