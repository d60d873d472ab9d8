"""What a typed or imported text may hold: one check for every field on every write path.

Refused: C0 controls (NUL, ESC, BEL…) and DEL, C1 controls (U+0080–U+009F, which some
terminals obey as CSI/OSC), and the bidi embeddings, overrides and isolates
(U+202A–U+202E, U+2066–U+2069) that make a terminal show text in another order than it
is stored ("Trojan Source"). The plain marks U+200E/U+200F stay allowed: real
right-to-left names use them. Multi-line fields (notes, an address, a template) also
take line breaks and tabs; one-line fields (a name, a code, a tag) take neither.
"""

from __future__ import annotations

import re

from crmcli.errors import InvalidValue

_ALWAYS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[{_ALWAYS}\t\n\r\u2028\u2029]")
_MULTI_LINE = re.compile(f"[{_ALWAYS}]")

# The longest text a field takes: a name or a code pasted a thousand times over is a
# mistake; a note may be long, a megabyte is not a note.
MAX_LINE = 2_000
MAX_TEXT = 1_000_000


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored, or None when it can."""
    bad = (_MULTI_LINE if multiline else _ONE_LINE).search(value)
    if bad:
        char = bad[0]
        if char in "\t\n\r\u2028\u2029":
            return f"has a line break or tab (U+{ord(char):04X}); it must be one line"
        return f"contains a control character (U+{ord(char):04X})"
    longest = MAX_TEXT if multiline else MAX_LINE
    if len(value) > longest:
        return f"is {len(value):,} characters long; at most {longest:,}"
    return None


def check(value: str, *, field: str, multiline: bool = False) -> str:
    """`value` itself, or InvalidValue naming `field` when it holds what cannot be stored."""
    error = problem(value, multiline=multiline)
    if error:
        raise InvalidValue(f"{field} {error}")
    return value


def check_optional(value: str | None, *, field: str, multiline: bool = False) -> str | None:
    return None if value is None else check(value, field=field, multiline=multiline)
