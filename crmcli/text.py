"""What a typed or imported text may hold: one check for every field on every write path.

Refused: C0 controls (NUL, ESC, BEL…) and DEL, and C1 controls (U+0080–U+009F, which
some terminals obey as CSI/OSC). Bidi overrides and isolates (U+202A–U+202E,
U+2066–U+2069) are stored as typed, as the import has always stored them (a name in a
right-to-left script may carry them); the output side shows them escaped. Tabs and
line breaks are text, as the import has always taken them (a quoted name may span two
lines); only the length limit tells a one-line field from a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from string import Formatter

from crmcli.errors import InvalidValue
from crmcli.i18n import M_

_ALWAYS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{_ALWAYS}]")

# The longest text a field takes: a name or a code pasted a thousand times over is a
# mistake; a note may be long, a megabyte is not a note.
MAX_LINE = 10_000
MAX_TEXT = 1_000_000


def problem(value: str, *, multiline: bool = False, longest: int | None = None) -> str | None:
    """Why `value` cannot be stored, or None when it can (`longest`: a field's own limit)."""
    bad = _CONTROL.search(value)
    if bad:
        return M_("contains a control character (U+{code})").format(code=f"{ord(bad[0]):04X}")
    longest = longest or (MAX_TEXT if multiline else MAX_LINE)
    if len(value) > longest:
        return M_("is {length} characters long; at most {most}").format(
            length=f"{len(value):,}", most=f"{longest:,}"
        )
    return None


def check(value: str, *, field: str, multiline: bool = False, longest: int | None = None) -> str:
    """`value` itself, or InvalidValue naming `field` when it holds what cannot be stored."""
    error = problem(value, multiline=multiline, longest=longest)
    if error:
        raise InvalidValue(f"{field} {error}")  # no template: "{a} {b}" would match anything
    return value


def check_optional(value: str | None, *, field: str, multiline: bool = False) -> str | None:
    return None if value is None else check(value, field=field, multiline=multiline)


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
