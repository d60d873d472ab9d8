"""What may reach a person's terminal, and how wide it is.

Text stored in the shop (names, notes, codes, addresses) came from people and
files; a name holding `ESC]0;…BEL` or `ESC[2J` would retitle or clear the
terminal it is printed on. Everything rendered for a person passes `printable`,
which shows such characters escaped (`\\x1b`), never raw. Machine formats piped
elsewhere keep the data as stored.
"""

from __future__ import annotations

import os
import unicodedata
from typing import TextIO

# Characters that change how the rest of the line is shown: bidi embeddings and
# overrides (U+202A-202E, U+2066-2069) reorder text (the "Trojan Source" trick);
# line and paragraph separators start new lines in some terminals.
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")

# Below this many columns no table is usable; rows are shown one field per line.
MIN_WIDTH = 20
DEFAULT_WIDTH = 80


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with every control character shown escaped; `newlines` keeps line breaks."""
    if text.isprintable():  # the common case, checked in C
        return text
    out = []
    for ch in text:
        if ch == "\n" and newlines:
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch in _REORDERING or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            out.append(_escaped(ch))
        else:  # other format characters (ZWJ in emoji, ZWNJ in Persian) are harmless
            out.append(ch)
    return "".join(out)


def json_printable(text: str) -> str:
    """JSON text with control and reordering characters as `\\uXXXX` escapes (same data)."""
    if text.isprintable():
        return text
    return "".join(
        f"\\u{ord(ch):04x}"
        if ch != "\n" and (ch in _REORDERING or unicodedata.category(ch) in ("Cc", "Cs", "Co"))
        else ch
        for ch in text
    )


def encodable(text: str, stream: TextIO) -> str:
    """`text` as `stream` can write it: what its encoding lacks becomes `\\uXXXX`."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        return text
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return text


def is_unicode(stream: TextIO) -> bool:
    """Whether `stream` can show box-drawing characters."""
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower()
    return encoding.replace("-", "").replace("_", "").startswith(("utf", "gb18030"))


def for_person(text: str, stream: TextIO, *, newlines: bool = False) -> str:
    """Text made safe and writable for a person reading `stream`."""
    return encodable(printable(text, newlines=newlines), stream)


def fitted(text: str, stream: TextIO) -> str:
    """`text` in lines as wide as the terminal `stream` is, or as it is when piped.

    A message said in Korean or Japanese is as long as in English but twice as wide: the
    terminal would cut it mid-word (or mid-letter). Each line is wrapped between words
    (between letters in Japanese and Chinese, never before a closing mark), its continuation
    indented two more spaces than the line, so where each message begins stays plain. Piped
    or redirected, a message keeps its one line: a log or `grep` reads it whole.
    """
    if not _is_terminal(stream):
        return text
    from crmcli.cli.table import cell_len, wrap  # a message on a terminal: rich is there

    columns = width(stream)
    if all(cell_len(line) <= columns for line in text.split("\n")):
        return text
    out = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        hanging = " " * (len(line) - len(body) + 2)
        pieces = wrap(body, max(columns - len(hanging), MIN_WIDTH))
        out.append(line[: len(line) - len(body)] + pieces[0])
        out.extend(hanging + piece for piece in pieces[1:])
    return "\n".join(out)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def width(stream: TextIO) -> int:
    """The terminal's width: $COLUMNS when it is a positive number, else the tty's, else 80.

    `COLUMNS=0` or `COLUMNS=abc` (left by a broken shell setup) is ignored rather than
    taken as a zero-width screen.
    """
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_WIDTH
    except (AttributeError, ValueError, OSError):
        return DEFAULT_WIDTH


def colour(stream: TextIO) -> bool:
    """Bold headers only on a terminal, and never with NO_COLOR set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False
