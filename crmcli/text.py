"""What a typed or imported text may hold: one check for every field on every write path.

Refused: C0 controls (NUL, ESC, BEL…) and DEL, and C1 controls (U+0080–U+009F, which
some terminals obey as CSI/OSC). Bidi overrides and isolates (U+202A–U+202E,
U+2066–U+2069) are stored as typed, as the import has always stored them (a name in a
right-to-left script may carry them); the output side shows them escaped. Tabs and
line breaks are text, as the import has always taken them (a quoted name may span two
lines); only the length limit tells a one-line field from a note. A one-line field a
server indexes has a limit in bytes (`MAX_INDEXED_BYTES`), the same on both engines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from string import Formatter

from crmcli.errors import FieldValueError, InvalidValue, Named
from crmcli.i18n import M_

# Escapes, not the characters: the same `[…]` reads the same in PostgreSQL's regular
# expressions (an import's lines are checked there too).
CONTROL_RANGES = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_RANGES}]")

# The longest text a field takes: a name or a code pasted a thousand times over is a
# mistake; a note may be long, a megabyte is not a note.
MAX_LINE = 10_000
MAX_TEXT = 1_000_000
# A one-line field a server indexes — a customer's code, name, e-mail, owner and phone
# numbers; a purchase's item, category, order and line ids; an item's launch; template
# and import profile names. A PostgreSQL index entry holds at most 2,704 bytes and a
# purchase's item and category share one, so each takes 1,000 bytes in UTF-8: 1,000
# Latin letters, 333 Hangul or kanji, 250 emoji or rare kanji (4 bytes each). No real
# name or item is that long. SQLite, which indexes any length, refuses the same, so a
# file and a server take the same values. A value stored before the limit existed is
# found by `db copy` before it copies anything to a server (`db_copy.find_too_long`).
MAX_INDEXED_BYTES = 1_000
SURELY_SHORT = MAX_INDEXED_BYTES // 4  # characters that cannot pass it, 4 bytes at most each


def problem(
    value: str, *, multiline: bool = False, longest: int | None = None, indexed: bool = False
) -> str | None:
    """Why `value` cannot be stored, or None when it can (`longest`: a field's own limit;
    `indexed`: a one-line field a server indexes)."""
    bad = _CONTROL.search(value)
    if bad:
        return M_("contains a control character (U+{code})").format(code=f"{ord(bad[0]):04X}")
    size = oversize(value) if indexed else None
    if size is not None:
        return M_("is {length} characters long ({size} bytes); at most {most} bytes").format(
            length=f"{len(value):,}", size=f"{size:,}", most=f"{MAX_INDEXED_BYTES:,}"
        )
    longest = longest or (MAX_TEXT if multiline else MAX_LINE)
    if len(value) > longest:
        return M_("is {length} characters long; at most {most}").format(
            length=f"{len(value):,}", most=f"{longest:,}"
        )
    return None


def oversize(value: str) -> int | None:
    """`value`'s size in bytes when it is too long for a one-line field a server
    indexes (`MAX_INDEXED_BYTES`); None when it fits."""
    if len(value) <= SURELY_SHORT:
        return None
    size = len(value.encode("utf-8", "surrogatepass"))
    return size if size > MAX_INDEXED_BYTES else None


_NOCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(value: str) -> str:
    """`value` as a case-blind match compares it (`Engine.nocase_equal`, SQLite's NOCASE):
    A-Z folded to a-z, every other character as it is (not `casefold`: ß is not ss)."""
    return value.translate(_NOCASE)


def check(
    value: str,
    *,
    field: str | Named,
    multiline: bool = False,
    longest: int | None = None,
    indexed: bool = False,
) -> str:
    """`value` itself, or InvalidValue naming `field` when it holds what cannot be stored
    (a `Named` field: the command line says the option it came with, `--name`)."""
    error = problem(value, multiline=multiline, longest=longest, indexed=indexed)
    if error is None:
        return value
    if isinstance(field, Named):
        raise FieldValueError(field, " ", error)
    raise InvalidValue(f"{field} {error}")  # no template: "{a} {b}" would match anything


def check_optional(
    value: str | None, *, field: str | Named, multiline: bool = False, indexed: bool = False
) -> str | None:
    if value is None:
        return None
    return check(value, field=field, multiline=multiline, indexed=indexed)


# --- templates ------------------------------------------------------------------------
# Greeting templates are filled by our own walk over `string.Formatter().parse`, never
# by `str.format`: a conversion or a format spec (`{name!r:>99999999999}`) would let a
# template allocate gigabytes or reach attributes. Only `{placeholder}` is a field.


def template_problem(body: str, allowed: Sequence[str]) -> str | None:
    """Why `body` cannot be a template (stray brace, unknown field, a spec), or None."""
    error = problem(body, multiline=True)
    if error:
        return f"the template {error}"
    try:
        parts = list(Formatter().parse(body))
    except ValueError as exc:
        return f"template: {exc} (write {{{{ and }}}} for a literal brace)"
    names = ", ".join("{" + p + "}" for p in allowed)
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if conversion or spec:
            return f"placeholder {{{field}}} has a conversion or format; write just {{{field}}}"
        if field not in allowed:
            return f"unknown placeholder {{{field}}}; use {names}"
    return None


def fill_template(body: str, values: Mapping[str, object]) -> str:
    """`body` with each `{placeholder}` replaced by its value, as plain text.

    A template stored before templates were checked may hold a spec or an unknown
    field: a spec is ignored, an unknown field is left as written.
    """
    try:
        parts = list(Formatter().parse(body))
    except ValueError:
        return body  # a stray brace: the text as it is
    out: list[str] = []
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is None:
            continue
        if field in values:
            out.append(str(values[field]))
        else:
            kept = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            out.append("{" + kept + "}")
    return "".join(out)
