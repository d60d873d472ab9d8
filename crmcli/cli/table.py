"""Tables that fit the terminal they are shown on.

Rich shrinks every column alike when a table is too wide, down to nothing (a name
column of width 0, 200000 shown as `2`). Here each column has a role instead:

- *key* columns identify the record (id, code, name): never narrower than their
  content while anything else can give way;
- *number* columns are never cut (an amount or a count shown in part is a lie);
- *prose* (notes, why, summary, item lists) wraps at spaces;
- everything else wraps too, but keeps a readable width.

When even the narrowest readable widths do not fit, columns are left out from
the right (the command lists its fields most important first) and the footer says
which. Below any usable width, each record is shown one field per line. Widths
are measured in terminal cells, so Hangul, Kanji and full-width forms (two cells)
and Armenian stay aligned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

from crmcli.i18n import _, ngettext

KEY, NUMBER, PROSE, OTHER = "key", "number", "prose", "other"
SEP = 3  # " │ " between columns
MIN_WIDTH = 20  # narrower than this, a record is `label: value` lines left to the terminal
PROSE_MIN = 12  # a column of running text narrower than this reads as a word list
NEARLY = 4  # a column this many cells short of its natural width is made whole first
OTHER_MIN = 30  # dates, phones, e-mails, stages: whole up to this width, folded beyond
READABLE = 30  # a kept column of running text (due's why) reads as sentences from here
NAME_MIN = 16  # a name wraps (at spaces) down to this, to make room for a kept column


@lru_cache(maxsize=1)
def _cells() -> ModuleType:
    """rich's terminal-cell measures, imported when a table is drawn: a command whose
    output is piped (CSV, JSON) never loads rich."""
    import rich.cells

    return rich.cells


def cell_len(text: str) -> int:
    """How many terminal cells `text` takes (wide CJK letters count two)."""
    return int(_cells().cell_len(text))


def get_character_cell_size(character: str) -> int:
    return int(_cells().get_character_cell_size(character))


class Column(NamedTuple):
    field: str
    header: str
    role: str
    right: bool = False  # numbers and ids line up on the right


class Layout(NamedTuple):
    columns: tuple[Column, ...]  # the ones shown, in order
    widths: tuple[int, ...]
    hidden: tuple[str, ...]
    vertical: bool = False  # too narrow for any table: one field per line
    under: tuple[tuple[str, Column], ...] = ()  # (host, guest): guest's value under host's


# --- measuring and wrapping ------------------------------------------------------------


# Punctuation a CJK line never starts with (kinsoku): the character before it goes down too.
NO_LINE_START = frozenset("、。，．,.）)」』】〉》！？!?：；:;…ー々")


def _fold(word: str, width: int) -> tuple[str, str]:
    """The longest head of `word` that fits `width` cells (at least one character).

    Inside Japanese or Chinese a Latin word (`BOM`, `YMD`) stays whole when the head
    can give it up."""
    used = 0
    for i, ch in enumerate(word):
        size = get_character_cell_size(ch)
        if used + size > width and i > 0:
            while i > 1 and word[i] in NO_LINE_START:
                i -= 1
            cut = i
            while cut > 0 and _latin(word[cut - 1]) and _latin(word[cut]):
                cut -= 1
            i = cut or i
            return word[:i], word[i:]
        used += size
    return word, ""


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def unspaced(token: str) -> bool:
    """A token starting with a wide Chinese or Japanese letter: such text, written without
    spaces, breaks between any two letters. Korean is written with spaces between words
    and breaks there, as English does (`콜드브루` is not cut when a space is near)."""
    return bool(token) and get_character_cell_size(token[0]) == 2 and not _hangul(token[0])


def _hangul(ch: str) -> bool:
    # Syllables, then the jamo and compatibility jamo a word may be spelled with.
    return "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def _greedy(tokens: list[tuple[str, str]], width: int, *, fill: bool = True) -> list[str]:
    """Tokens, each with what joins it to the one before (" ", or "" after `_`), in lines.

    `fill`: a Chinese or Japanese token fills the rest of a line (running text); without
    it a token that fits a line of its own goes there whole (a name's words)."""
    lines: list[str] = []
    current = ""
    for sep, token in tokens:
        candidate = token if not current else current + sep + token
        if cell_len(candidate) <= width:
            current = candidate
            continue
        room = width - cell_len(current + sep) if current else 0
        if (
            room >= 2
            and unspaced(token)
            and cell_len(token) > room
            and (fill or cell_len(token) > width)
        ):
            # Japanese or Chinese without spaces: fill the line, as a CJK reader expects.
            head, rest = _fold(token, room)
            if cell_len(head) <= room and rest:
                current, token = current + sep + head, rest
        if current:
            lines.append(current)
        while cell_len(token) > width:
            head, token = _fold(token, width)
            hyphen = head.rfind("-", 0, len(head) - 1)
            if hyphen > 0 and head[hyphen - 1].isalpha() and head[hyphen + 1].isalpha():
                # A compound (Պետրոսյան-Հովհաննիսյան) breaks after its hyphen; a minus
                # sign (BYMONTHDAY=31,-1) is no hyphen.
                head, token = head[: hyphen + 1], head[hyphen + 1 :] + token
            lines.append(head)
        current = token
    lines.append(current)
    return lines


def wrap(text: str, width: int, *, fill: bool = True) -> list[str]:
    """`text` in lines of at most `width` cells: broken at spaces, long words folded.

    `fill=False` for a name: its words stay whole where a line holds them (`長谷川 健太郎` /
    `ジョナサン`, `欧阳 明月 诸葛` / `孔明`), though Chinese and Japanese text fills its lines.
    """
    width = max(width, 1)
    if "\n" not in text and cell_len(text) <= width:
        return [text]
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_greedy([(" ", word) for word in paragraph.split(" ")], width, fill=fill))
    return lines


def line_starts(text: str, width: int) -> list[int] | None:
    """Where each line after the first starts when `wrap` breaks the one-line `text` at
    `width` (the space broken at is on neither line); None if a line cannot be found."""
    starts, at = [], 0
    for i, line in enumerate(wrap(text, width)):
        if i:
            at += text[at] == " " if at < len(text) else 0  # the space it broke at
            starts.append(at)
        if text[at : at + len(line)] != line:
            return None
        at += len(line)
    return starts


def unwrapped(text: str) -> str:
    """`text` with each paragraph on one line, for a screen to wrap to its own width.

    A docstring is broken where its source line ended; shown as it is, a sentence stops
    in mid-line. Lines join with a space, or with none between two Chinese or Japanese
    letters (written without spaces). A paragraph click marks `\\b` is kept as typed.
    """
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph)
            continue
        joined = ""
        for line in paragraph.split("\n"):
            line = line.strip()
            if joined and line:
                joined += "" if unspaced(joined[-1]) and unspaced(line) else " "
            joined += line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _header_parts(header: str) -> list[tuple[str, str]]:
    """A header breaks after `_` or at a space: days_ / overdue, Do not / contact.

    Each part comes with what joins it to the one before: the space of two words
    shown on one line stays ("Do not", never "Donot").
    """
    parts: list[tuple[str, str]] = []
    for word in header.split(" "):
        pieces = [p + "_" for p in word.split("_")[:-1]] + [word.split("_")[-1]]
        parts.extend(("" if i else " ", p) for i, p in enumerate(pieces) if p)
    return parts


def wrap_header(header: str, width: int) -> list[str]:
    if cell_len(header) <= width:
        return [header]
    return _greedy(_header_parts(header), max(width, 1))


def natural(values: Sequence[str]) -> int:
    """The widest line among `values`, in cells."""
    return max((cell_len(line) for v in values for line in v.split("\n")), default=0)


# --- choosing widths -------------------------------------------------------------------


def layout(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    more: bool = False,
    keep: Sequence[str] = (),
    under: Mapping[str, str] | None = None,
) -> Layout:
    """Widths for `columns` at `width` cells; `more`: further rows will follow `rows`.

    `keep`: the columns a reader needs besides the identifying ones (`due`: why, date,
    phone), kept before any other when not all fit, whatever their place in the row. A
    kept column of running text is given READABLE cells before any column that is not
    kept, and a long name wraps (at spaces, down to NAME_MIN) rather than leave a kept
    column out. `under`: column → the column whose cell it may be shown under (`due`'s
    phone under the name, a complaint's customer code under the name) when that is what
    it takes to keep every kept column, the running text readable first.
    """
    n = len(columns)
    content = [natural([r[i] for r in rows]) for i in range(n)]
    header_min = [
        max((cell_len(p) for _, p in _header_parts(c.header)), default=1) for c in columns
    ]
    nat = [max(content[i], cell_len(c.header), 1) for i, c in enumerate(columns)]
    if more:  # ids grow a digit and names get longer further down: leave some room
        nat = [
            w + max(2, w // 4) if c.role in (KEY, NUMBER) else w
            for w, c in zip(nat, columns, strict=True)
        ]
    mins = []
    for i, c in enumerate(columns):
        if c.role in (KEY, NUMBER):
            floor = content[i]
        elif c.role == PROSE:
            floor = min(content[i], PROSE_MIN)
        else:
            floor = min(content[i], OTHER_MIN)
        mins.append(max(floor, header_min[i], 1))

    def total(idx: list[int], ws: list[int]) -> int:
        return sum(ws[i] for i in idx) + SEP * (len(idx) - 1)

    # Identifying columns first; then the kept ones; then each other column, most
    # important first, if it still fits (a narrow column further right may fit where a
    # wide one did not).
    shown = [i for i in range(n) if columns[i].role == KEY]
    names = [i for i in shown if content[i] > NAME_MIN]  # ids and codes are short
    wanted = [i for f in keep for i in range(n) if columns[i].field == f and i not in shown]
    readable = list(mins)  # a kept column of text read as sentences, not a word a line
    for i in wanted:
        if columns[i].role == PROSE:
            readable[i] = max(mins[i], min(nat[i], READABLE))
    where = {c.field: i for i, c in enumerate(columns)}
    pairs = {where[g]: where[h] for g, h in (under or {}).items() if g in where and h in where}
    stacked: dict[int, int] = {}  # guest → host
    # Every kept column with its text readable; else with guests under their hosts;
    # else each as narrow as it goes; else as many as fit, in the order kept.
    for widths, stack in ((readable, False), (readable, True), (mins, True), (mins, False)):
        stacks = pairs if stack else {}
        fitted = _fitted(shown, wanted, widths, readable, names, stacks, width, total)
        if fitted is not None:
            shown, mins[:], stacked = fitted
            break
    else:
        for i in wanted:
            if columns[i].role == PROSE:
                tried = list(mins)
                tried[i] = readable[i]
                grown = _with_names_wrapped(shown, i, tried, names, width, total)
                if grown != shown:
                    shown, mins[:] = grown, tried
                    continue
            shown = _with_names_wrapped(shown, i, mins, names, width, total)
    for guest, host in stacked.items():
        nat[host] = max(nat[host], nat[guest])
    # A column not kept comes in only where the kept text still reads as sentences.
    room = [max(m, readable[i]) if i in wanted else m for i, m in enumerate(mins)]
    # A header shown reads whole before a column not kept comes in: `customer_` / `name`
    # (and the code's header under it: three lines) to make room for an empty `tier`
    # read badly. Where the kept columns need the cells, a header still breaks at `_`.
    for i in shown:
        whole = cell_len(columns[i].header)
        if whole > room[i] and total(shown, [*room[:i], whole, *room[i + 1 :]]) <= width:
            room[i] = mins[i] = whole
    for i in range(n):
        if i in stacked or i in shown:
            continue
        if total(sorted([*shown, i]), room) <= width:
            shown = sorted([*shown, i])
    if not shown:  # nothing identifies the rows: the first column at least
        shown = [0]
    if total(shown, mins) > width:
        # Only identifying columns remain and still do not fit: let the wordy ones
        # (a long name) wrap, never cut, down to a readable width.
        for i in sorted(shown, key=lambda i: -mins[i]):
            excess = total(shown, mins) - width
            if excess <= 0:
                break
            if content[i] <= PROSE_MIN:  # ids and codes are short: only names give way
                continue
            mins[i] = max(PROSE_MIN, header_min[i], mins[i] - excess)
    hidden = tuple(columns[i].field for i in range(n) if i not in shown and i not in stacked)
    if total(shown, mins) > width:
        return Layout(tuple(columns), tuple(nat), (), vertical=True)

    widths = {i: mins[i] for i in shown}
    spare = width - total(shown, mins)
    # First the columns a few cells short of whole (a header like `order_id` over
    # `O-0001`): whole is worth more there than a little more room for prose.
    for i in shown:
        short = nat[i] - widths[i]
        if 0 < short <= NEARLY and short <= spare:
            widths[i] += short
            spare -= short
    # Hand out the spare cells one at a time to the column furthest from its natural
    # width: prose grows first where it is long, short columns reach their full size.
    while spare > 0:
        wanting = [i for i in shown if widths[i] < nat[i]]
        if not wanting:
            break
        best = max(wanting, key=lambda i: (nat[i] - widths[i], -i))
        widths[best] += 1
        spare -= 1
    return Layout(
        tuple(columns[i] for i in shown),
        tuple(widths[i] for i in shown),
        hidden,
        vertical=False,
        under=tuple((columns[h].field, columns[g]) for g, h in sorted(stacked.items())),
    )


def _fitted(
    shown: list[int],
    wanted: list[int],
    widths: list[int],
    readable: list[int],
    names: list[int],
    pairs: dict[int, int],
    width: int,
    total: Callable[[list[int], list[int]], int],
) -> tuple[list[int], list[int], dict[int, int]] | None:
    """Every column of `shown` and `wanted` at `widths`, a guest of `pairs` under its host
    (which is then at least as wide): the columns, their widths and the guests, or None
    when even that does not fit. The names are narrowed, as far as NAME_MIN allows, to
    give the kept text its `readable` width: a name wraps before a summary does."""
    every = [*shown, *wanted]
    stacked = {g: h for g, h in pairs.items() if g in every and h in every and h not in pairs}
    placed = sorted(i for i in every if i not in stacked)
    narrowed, aim = list(widths), [max(w, r) for w, r in zip(widths, readable, strict=True)]
    floor = {i: NAME_MIN for i in names}
    for guest, host in stacked.items():
        for ws in (narrowed, aim):
            ws[host] = max(ws[host], widths[guest])
        # A host that is no long name keeps its own width (its header's longest part).
        floor[host] = max(floor.get(host, widths[host]), widths[guest])
    for k in sorted(floor, key=lambda k: -aim[k]):
        excess = total(placed, aim) - width
        if excess <= 0:
            break
        if k in placed:
            aim[k] = narrowed[k] = max(floor[k], aim[k] - excess)
    if total(placed, narrowed) > width:
        return None
    return placed, narrowed, stacked


def _with_names_wrapped(
    shown: list[int],
    i: int,
    mins: list[int],
    names: list[int],
    width: int,
    total: Callable[[list[int], list[int]], int],
) -> list[int]:
    """`shown` with the kept column `i`, the names in it narrowed (`mins` changed) as far
    as that takes and NAME_MIN allows; `shown` as it was when even that does not fit."""
    wanted = sorted([*shown, i])
    narrowed = list(mins)
    for k in sorted(names, key=lambda k: -narrowed[k]):
        excess = total(wanted, narrowed) - width
        if excess <= 0:
            break
        narrowed[k] = max(NAME_MIN, narrowed[k] - excess)
    if total(wanted, narrowed) > width:
        return shown
    mins[:] = narrowed
    return wanted


# --- drawing ---------------------------------------------------------------------------


class Box(NamedTuple):
    vertical: str
    head_vertical: str
    rule: str
    cross: str

    @property
    def sep(self) -> str:
        return f" {self.vertical} "


UNICODE = Box("│", "┃", "━", "╇")
ASCII = Box("|", "|", "-", "+")


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - cell_len(text))
    return gap + text if right else text + gap


def _join(cells: list[list[str]], lay: Layout, sep: str) -> Iterator[str]:
    height = max(len(c) for c in cells)
    for line in range(height):
        parts = [
            _pad(cell[line] if line < len(cell) else "", w, col.right)
            for cell, w, col in zip(cells, lay.widths, lay.columns, strict=True)
        ]
        yield sep.join(parts).rstrip()


def _guests(lay: Layout) -> dict[str, list[Column]]:
    guests: dict[str, list[Column]] = {}
    for host, guest in lay.under:
        guests.setdefault(host, []).append(guest)
    return guests


def header_lines(lay: Layout, box: Box, *, bold: bool) -> Iterator[str]:
    # A column holding others' values under its own names them all, each under the last.
    guests = _guests(lay)
    cells = []
    for c, w in zip(lay.columns, lay.widths, strict=True):
        lines = wrap_header(c.header, w)
        for guest in guests.get(c.field, ()):
            lines += wrap_header(guest.header, w)
        cells.append(lines)
    for line in _join(cells, lay, f" {box.head_vertical} "):
        yield f"\x1b[1m{line}\x1b[0m" if bold else line
    yield (box.rule + box.cross + box.rule).join(box.rule * w for w in lay.widths)


def row_lines(lay: Layout, row: Sequence[str], index: dict[str, int], box: Box) -> Iterator[str]:
    guests = _guests(lay)
    cells = []
    for c, w in zip(lay.columns, lay.widths, strict=True):
        cell = wrap(row[index[c.field]], w, fill=c.role != KEY)  # a name breaks at its spaces
        for guest in guests.get(c.field, ()):
            value = row[index[guest.field]]
            cell += wrap(value, w) if value else []
        cells.append(cell)
    yield from _join(cells, lay, box.sep)


def record_lines(
    columns: Sequence[Column], row: Sequence[str], width: int, *, bold: bool
) -> Iterator[str]:
    """One record as `label  value` lines: what a table becomes on a very narrow screen.

    Narrower than MIN_WIDTH, nothing is folded (a name one letter a line is unreadable):
    `label: value` lines, which the terminal itself wraps.
    """
    if width < MIN_WIDTH:
        for c, value in zip(columns, row, strict=True):
            if value:
                label = f"\x1b[1m{c.header}\x1b[0m" if bold else c.header
                yield f"{label}: " + value.replace("\n", "\n  ")
        return
    label_w = min(max(cell_len(c.header) for c in columns), max(4, width // 3))
    value_w = max(width - label_w - 1, 1)
    for c, value in zip(columns, row, strict=True):
        labels = wrap_header(c.header, label_w)
        values = wrap(value, value_w) if value else [""]
        for i in range(max(len(labels), len(values))):
            label = _pad(labels[i] if i < len(labels) else "", label_w, False)
            if bold and i < len(labels):
                label = f"\x1b[1m{label}\x1b[0m"
            yield f"{label} {values[i] if i < len(values) else ''}".rstrip()


def hidden_note(hidden: Sequence[str]) -> str:
    # The fields are named as --fields takes them, in every language.
    n, names = len(hidden), ", ".join(hidden)
    what = ngettext("{n} column hidden ({names})", "{n} columns hidden ({names})", n)
    return _("{what}: --fields or a wider terminal").format(what=what.format(n=n, names=names))
