"""Finding customers the way a clerk types: any order, any case, accents and width folded.

Each customer has a search document (`customers.search_key`): per field, the
folded text, the same without spaces or punctuation, the Hangul initial
consonants (초성: 김민준 → ㄱㅁㅈ) and a Latin transliteration of Armenian and
Cyrillic (Պետրոսյան → petrosyan). Two FTS5 indexes serve it: trigrams for
words of three letters or more, found anywhere; whole words with a prefix index
for one or two letters (민준, a given name; `mi` for Miller), found at the start
of a word. Either way no query reads every customer. The index only proposes;
`matches` decides, in Python, and says in which field each result matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmcli.engines import Engine

# Fields searched, in the order `matched` names them.
FIELDS = (
    "name",
    "family_name",
    "given_name",
    "patronymic",
    "name_reading",
    "code",
    "email",
    "company",
    "notes",
)
# The most a document holds, in UTF-8 bytes. PostgreSQL's word index (`to_tsvector`)
# refuses a document whose words and positions pass 1 MB, up to ~2.4 bytes for each
# byte of text (short words that never repeat); SQLite's would take any. Fields come
# in `FIELDS` order, notes last: a note so long that the document passes this (some
# 28,000 Hangul or 80,000 Latin letters) is found by its first part, on both engines.
MAX_DOCUMENT_BYTES = 256 * 1024
# Family, given name and patronymic are parts of the name: a match there is in `name`.
_SHOWN_AS = {"family_name": "name", "given_name": "name", "patronymic": "name"}

_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"

# Latin letters for Armenian (the common passport spelling: Petrosyan, Hovhannisyan,
# Ghazaryan): ու is u, ե and ո at the start of a word are ye and vo.
_ARMENIAN = dict(
    zip(
        "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ",
        (
            "a", "b", "g", "d", "e", "z", "e", "y", "t", "zh", "i", "l", "kh", "ts", "k", "h",
            "dz", "gh", "ch", "m", "y", "n", "sh", "o", "ch", "p", "j", "r", "s", "v", "t", "r",
            "ts", "v", "p", "k", "o", "f",
        ),
        strict=True,
    )
)  # fmt: skip
_ARMENIAN["և"] = "ev"
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        (
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
            "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
            "yu", "ya", "i", "yi", "ye", "g",
        ),
        strict=True,
    )
)  # fmt: skip


def _strip_accents(text: str) -> str:
    """Drop accents on Latin, Greek and Cyrillic letters (é→e, Ľ→L, ё→е), nowhere else.

    Japanese voicing marks (が = か + ゛) are combining marks too: stripping them would
    make さとう find ざとう, so marks after other scripts stay.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and ord(out[-1]) < 0x0530:
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _hiragana(text: str) -> str:
    """Katakana as hiragana: a reading typed either way finds the other."""
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


# Text that folding leaves as it is, but for ASCII case: lower-case ASCII letters and
# digits, Hangul syllables and CJK ideographs (no accents, no width forms, no kana),
# single spaces between words. Most names and codes are such text; `fold` answers
# them without the per-character work (tests/test_search.py checks it agrees).
# (Not one regular expression: with the Hangul and CJK ranges it took ~7 ms to compile,
# in every process.)
_ASCII_PLAIN = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_JOINERS = re.compile(r"['’ʼ`´.]")
_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")


def _plain(lowered: str) -> bool:
    if lowered.isascii():
        return _ASCII_PLAIN.fullmatch(lowered) is not None
    if lowered[0] == " " or lowered[-1] == " " or "  " in lowered:
        return False
    return all(
        "a" <= c <= "z"
        or "0" <= c <= "9"
        or c == " "
        or "\uac00" <= c <= "\ud7a3"
        or "\u4e00" <= c <= "\u9fff"
        or "\u3400" <= c <= "\u4dbf"
        for c in lowered
    )


def fold(text: str) -> str:
    """Width (NFKC), case, accents and kana folded; punctuation becomes a space."""
    lowered = text.lower()  # the same as casefold on the text _plain and ASCII allow
    if _plain(lowered):
        return lowered
    if text.isascii():  # no width, accents or kana: only joiners and separators
        return " ".join(_ASCII_SEPARATORS.sub(" ", _JOINERS.sub("", lowered)).split())
    return _fold_any(text)


def _fold_any(text: str) -> str:
    text = _hiragana(_strip_accents(unicodedata.normalize("NFKC", text)).casefold())
    # Apostrophes and dots join (O'Donnell, St.John → odonnell, stjohn); other
    # punctuation and symbols separate words (Jean-Luc, kim@example.kr).
    text = _JOINERS.sub("", text)
    spaced = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return " ".join(spaced.split())


def initials(text: str) -> str:
    """The initial consonant of each Hangul syllable (김민준 → ㄱㅁㅈ), folded like a query."""
    out = [
        _CHOSEONG[(ord(c) - 0xAC00) // 588] if "\uac00" <= c <= "\ud7a3" else c
        for c in text
        if "\uac00" <= c <= "\ud7a3" or c == " "
    ]
    return fold("".join(out)) if any(c != " " for c in out) else ""


def latin(text: str) -> str:
    """Armenian and Cyrillic letters in Latin (Պետրոսյան → petrosyan); '' if none."""
    folded = fold(text)
    if not any("\u0400" <= c <= "\u058f" for c in folded):
        return ""
    words = []
    for word in folded.split(" "):
        word = word.replace("ու", "u")
        out = []
        for i, c in enumerate(word):
            if c in "եո" and i == 0:
                out.append("ye" if c == "ե" else "vo")
            else:
                out.append(_ARMENIAN.get(c) or _CYRILLIC.get(c, c))
        words.append("".join(out))
    return " ".join(words)


_CJK_WORD = 6  # longer runs are sentences in notes, not names: trigrams serve them


def _is_cjk(c: str) -> bool:
    return (
        "\uac00" <= c <= "\ud7a3"  # Hangul syllables
        or "\u3040" <= c <= "\u30ff"  # kana
        or "\u4e00" <= c <= "\u9fff"  # CJK ideographs
        or "\u3400" <= c <= "\u4dbf"
    )


def variants(value: str) -> list[str]:
    """Every form a field is found by: folded, without spaces, initials, transliterated."""
    return list(_variants(value))


# Names repeat (강민준, 김 …, a company on many customers): a search verifying
# thousands of candidates folds each distinct value once.
@lru_cache(maxsize=65_536)
def _variants(value: str) -> tuple[str, ...]:
    if value.isascii():
        return _ascii_variants(value)
    return _any_variants(value)


def _ascii_variants(value: str) -> tuple[str, ...]:
    """`_any_variants` of ASCII text (codes, e-mails, most Latin names: an import's
    every row), without its steps that find nothing there: no Hangul initials, no
    Armenian or Cyrillic to transliterate, no CJK words (tests/test_search.py)."""
    folded = fold(value)
    bare = folded.replace(" ", "")
    return () if not folded else (folded,) if bare == folded else (folded, bare)


def _any_variants(value: str) -> tuple[str, ...]:
    folded = fold(value)
    if not folded:
        return ()
    # Each form once, where it first comes: a dict, not a list, so that a long note's
    # thousands of words cost a lookup each, not a scan of every form so far.
    forms = dict.fromkeys([folded])
    translit = latin(value)
    for form in (folded.replace(" ", ""), initials(value), translit):
        if form:
            forms.setdefault(form)
    # Hangul, Kanji and kana are written without spaces (김민준, 山田太郎): a short word's
    # endings are words of their own, so one or two letters (민준, 太郎) are found
    # anywhere in it through the word index, as trigrams find longer ones.
    for word in folded.split(" "):
        if 2 <= len(word) <= _CJK_WORD and all(_is_cjk(c) for c in word):
            for i in range(1, len(word)):
                forms.setdefault(word[i:])
    if " " in translit:
        forms.setdefault(translit.replace(" ", ""))
    return tuple(forms)


def document(values: Mapping[str, Any]) -> str:
    """A customer's search document: every field's forms, ` | ` between them, each once
    (a dict keeps the first of each in order), within `MAX_DOCUMENT_BYTES`."""
    given = (values.get(field) for field in FIELDS)
    forms = dict.fromkeys(chain.from_iterable(_variants(str(v)) for v in given if v))
    document = " | ".join(forms)
    if len(document) * 4 <= MAX_DOCUMENT_BYTES:  # 4 bytes a character at most: it fits
        return document
    # Cut at the byte limit, a character cut in two left out: the index reads words.
    return document.encode("utf-8", "surrogatepass")[:MAX_DOCUMENT_BYTES].decode("utf-8", "ignore")


def words(query: str) -> list[str]:
    """The query's words, folded; order and spacing do not matter."""
    return fold(query).split()


def matches(query_words: list[str], values: Mapping[str, Any]) -> list[str]:
    """The fields (as `matched` names them) where the query is found; [] when it is not.

    Every word must be found, each in any field; or the words run together
    (`김 민준` → 김민준) must be found in one field.
    """
    forms: dict[str, Iterable[str]] = {
        f: _variants(str(values[f])) for f in FIELDS if values.get(f)
    }
    tags = [fold(t) for t in values.get("tags") or []]
    if tags:
        forms["tags"] = tags
    found: list[str] = []

    def where(word: str) -> list[str]:
        hit = []
        for field, texts in forms.items():
            if any(_contains(t, word) for t in texts):
                label = _SHOWN_AS.get(field, field)
                if label not in hit:
                    hit.append(label)
        return hit

    per_word = [where(w) for w in query_words]
    if all(per_word):
        for labels in per_word:
            found.extend(label for label in labels if label not in found)
        return found
    joined = "".join(query_words)
    return where(joined) if len(query_words) > 1 else []


def _contains(text: str, word: str) -> bool:
    if len(word) > 2:
        return word in text
    # One or two letters: the start of a word (what the word index can find quickly).
    return any(w.startswith(word) for w in text.split(" "))


def candidate_queries(query_words: list[str]) -> Iterator[tuple[str, str]]:
    """(kind, text) pairs for `Engine.text_search` whose union holds every customer
    that can match: `substring` for 3 letters or more (trigrams), else `word` (a word's
    start)."""
    if not query_words:
        return
    # The longest word narrows best; the others are checked by `matches`.
    longest = max(query_words, key=len)
    yield _one(longest)
    if len(query_words) > 1:
        yield _one("".join(query_words))  # 김 민준 typed apart, stored together


def _one(word: str) -> tuple[str, str]:
    return ("substring" if len(word) >= 3 else "word"), word


def label_order(labels: Iterable[str]) -> str:
    return ", ".join(labels)


def reindex(db: Engine) -> int:
    """Rebuild every customer's search document with this code; returns how many changed."""
    columns = [c.name for c in db.columns("customers")]
    fields = [f for f in FIELDS if f in columns]
    changed = []
    for row in db.execute(
        f"SELECT id, search_key, {', '.join(fields)} FROM customers WHERE forgotten_at IS NULL"
    ):
        doc = document(dict(zip(fields, row[2:], strict=True)))
        if doc != row[1]:
            changed.append((doc, row[0]))
    db.executemany("UPDATE customers SET search_key = ? WHERE id = ?", changed)
    return len(changed)
