"""Which encoding a file's bytes are in, when it carries no BOM and is not UTF-8.

A statistical detector guesses; on a one- or two-row file it guessed GB18030 names as
Big5 (`张伟` → `桲帡`) and random bytes as CP1251. So this one only answers on evidence,
and otherwise says it cannot tell:

- every candidate code page must decode the bytes strictly and give text with no
  control, private-use or unassigned characters;
- a header cell that reads, in one candidate only, as a header crmcli knows in Korean,
  Japanese or Chinese (`고객명`, `電話番号`, `客户编号`) settles it;
- else the text must be plausible in that code page's language, and in no other:
  Hangul syllables of the 2,350 in common use (KS X 1001) for CP949, kana and JIS
  level 1 kanji for CP932, GB2312 level 1 hanzi for GB18030, Big5's frequently used
  characters, Cyrillic words that are all Cyrillic and cased like words for CP1251,
  Latin words with a few accented letters for CP1252;
- and there must be enough of it (MIN_EVIDENCE characters).
Where two candidates stay plausible (a short Korean name reads as common Chinese
characters too), the caller asks for `--encoding` naming both.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import NamedTuple

from crmcli.i18n import M_

# The code pages a shop's spreadsheet exports come in, beside UTF-8 and UTF-16.
CANDIDATES = ("cp949", "cp932", "gb18030", "big5", "cp1251", "cp1252")
MIN_EVIDENCE = 2  # characters beyond ASCII that must read plausibly
PLAUSIBLE = 0.9  # the share of those characters that must be common in the language
SCORED = 1 << 18  # characters of the sample looked at closely


class Verdict(NamedTuple):
    """The encoding found, or the candidates that stayed (none, or several)."""

    encoding: str | None
    candidates: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class _Score:
    good: int = 0
    rare: int = 0
    impossible: int = 0

    def plausible(self) -> bool:
        seen = self.good + self.rare
        return not self.impossible and seen > 0 and self.good >= PLAUSIBLE * seen


def _bytes_in(char: str, encoding: str) -> bytes | None:
    try:
        return char.encode(encoding)
    except UnicodeEncodeError:
        return None


def _is_kana(c: str) -> bool:
    return "\u3041" <= c <= "\u30ff"  # hiragana and full-width katakana


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or "\uf900" <= c <= "\ufaff"


def _is_hangul(c: str) -> bool:
    return "\uac00" <= c <= "\ud7a3"


# Punctuation and symbols a file in each language writes: neither good nor rare.
_CJK_NEUTRAL = set(
    "、。，．・：；？！“”‘’（）［］｛｝【】「」『』〈〉《》〜～ー－＋＝％＃＆＊＠￥＄　・…"
    "※○●◎△▲□■◇◆★☆〒"
)
_LATIN_NEUTRAL = set("€‚„…†‡‰‹›‘’“”•–—™©®°±£¥§«»¶·¹²³½¼¾¿¡×÷\u00a0")


def _korean(c: str) -> int:
    """+1 common, 0 neutral, -1 rare: CP949 text."""
    if _is_hangul(c):
        b = _bytes_in(c, "euc-kr")  # the others encode as 8-byte jamo sequences
        return 1 if b and len(b) == 2 else -1  # KS X 1001's 2,350 syllables
    if c in _CJK_NEUTRAL:
        return 0
    return -1  # Hanja (modern names and words are Hangul), symbols, kana


def _japanese(c: str) -> int:
    if _is_kana(c) or c in _CJK_NEUTRAL:
        return 1 if _is_kana(c) else 0
    if _is_han(c):
        b = _bytes_in(c, "shift_jis")
        return 1 if b and len(b) == 2 and 0x889F <= int.from_bytes(b, "big") <= 0x9872 else -1
    if "\uff66" <= c <= "\uff9f":  # half-width katakana: real in old systems, but rare
        return -1
    return -1


def _chinese_gb(c: str) -> int:
    if _is_han(c):
        b = _bytes_in(c, "gb2312")
        return 1 if b and 0xB0 <= b[0] <= 0xD7 else -1  # GB2312 level 1: 3,755 hanzi
    return 0 if c in _CJK_NEUTRAL else -1


def _chinese_big5(c: str) -> int:
    if _is_han(c):
        b = _bytes_in(c, "big5")
        return 1 if b and 0xA440 <= int.from_bytes(b, "big") <= 0xC67E else -1  # 5,401
    return 0 if c in _CJK_NEUTRAL else -1


_CYRILLIC_COMMON = set("ёЁіІїЇєЄґҐўЎ") | {chr(c) for c in range(0x410, 0x450)}


def _cyrillic(c: str) -> int:
    if c in _CYRILLIC_COMMON:
        return 1
    return 0 if c in _LATIN_NEUTRAL or c in "№" else -1


def _latin(c: str) -> int:
    if c in _LATIN_NEUTRAL:
        return 0
    if unicodedata.category(c).startswith("L") and "LATIN" in unicodedata.name(c, ""):
        return 1
    return -1


_LANGUAGE: dict[str, Callable[[str], int]] = {
    "cp949": _korean,
    "cp932": _japanese,
    "gb18030": _chinese_gb,
    "big5": _chinese_big5,
    "cp1251": _cyrillic,
    "cp1252": _latin,
}
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _score(text: str, encoding: str) -> _Score:
    score = _Score()
    judge = _LANGUAGE[encoding]
    cache: dict[str, int] = {}
    for m in _NON_ASCII.finditer(text):
        c = m.group()
        if c not in cache:
            category = unicodedata.category(c)
            cache[c] = 9 if category in ("Cc", "Co", "Cn", "Cs") or c == "\ufffd" else judge(c)
        verdict = cache[c]
        if verdict == 9:
            score.impossible += 1
        elif verdict > 0:
            score.good += 1
        elif verdict < 0:
            score.rare += 1
    if any(c in text for c in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x1b\x7f"):
        score.impossible += 1
    if encoding in ("cp1251", "cp1252"):
        _score_words(text, encoding, score)
    if encoding == "gb18030":
        _score_gb_rows(text, score)
    return score


# A symbol glued to a letter ('ХЕО°', 'Ã¦'): what CJK bytes read as in a Western code page.
_GLUED = re.compile(r"[^\W\d_][°±µ¶·¹²³¼½¾¤¦¨¯´¸§¬]|[°±µ¶·¹²³¼½¾¤¦¨¯´¸§¬][^\W\d_]")


def _score_words(text: str, encoding: str, score: _Score) -> None:
    """Alphabetic code pages decode any byte: the words must look like words."""
    score.rare += 2 * len(_GLUED.findall(text))
    for m in _WORD.finditer(text):
        word = m.group()
        if word.isascii():
            continue
        if encoding == "cp1251":
            cyrillic = sum(1 for c in word if c in _CYRILLIC_COMMON)
            cased = word.islower() or word.isupper() or word[1:].islower()
            if cyrillic != len(word) or not cased:
                score.rare += len(word)  # 'Mьller', 'ХЕИэ': mojibake, not Russian
        else:
            accented = sum(1 for c in word if not c.isascii())
            if accented * 2 > len(word) or not (
                word.islower() or word[1:].islower() or word.isupper()
            ):
                score.rare += len(word)  # 'ÕÅÎ': CJK bytes, not a Western word


def _score_gb_rows(text: str, score: _Score) -> None:
    """Korean (CP949) Hangul bytes are GB2312 rows B0-C8 and nothing else: common-looking
    hanzi that never reach rows C9-D7, where a third of everyday Chinese lies."""
    hanzi = [c for c in text if _is_han(c)]
    if len(hanzi) < 8:
        return
    high = sum(1 for c in hanzi if (b := _bytes_in(c, "gb2312")) and b[0] >= 0xC9)
    if not high:
        score.rare += len(hanzi)


def _header_hit(text: str, header_words: Collection[str], fold: Callable[[str], str]) -> bool:
    first = text.split("\n", 1)[0]
    for cell in re.split(r"[,;\t|]", first):
        folded = fold(cell.strip().strip('"'))
        if folded and not folded.isascii() and folded in header_words:
            return True
    return False


def _decode(sample: bytes, encoding: str, *, complete: bool) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return None


def utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 written without a BOM: ASCII shows as every other byte NUL."""
    head = sample[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def detect(
    sample: bytes,
    *,
    complete: bool,
    header_words: Collection[str] = (),
    fold: Callable[[str], str] = str.casefold,
) -> Verdict:
    """The encoding of `sample` (the file's first bytes; `complete`: the whole file)."""
    readings: dict[str, str] = {}
    for encoding in CANDIDATES:
        text = _decode(sample, encoding, complete=complete)
        if text is not None:
            readings[encoding] = text
    if not readings:
        return Verdict(None, (), M_("no code page crmcli knows decodes it"))
    hits = [e for e, t in readings.items() if _header_hit(t, header_words, fold)]
    if len(hits) == 1 and not _score(readings[hits[0]][:SCORED], hits[0]).impossible:
        return Verdict(hits[0])
    scores = {e: _score(t[:SCORED], e) for e, t in readings.items()}
    plausible = [e for e, s in scores.items() if s.plausible()]
    if len(plausible) == 1:
        found = plausible[0]
        if scores[found].good >= MIN_EVIDENCE:
            return Verdict(found)
        return Verdict(None, (found,), M_("too few characters beyond ASCII to be sure"))
    if not plausible:
        return Verdict(None, (), M_("it reads as plausible text in none of them"))
    return Verdict(None, tuple(plausible), M_("it reads as plausible text in more than one"))
