"""Phone numbers: kept as written, and normalised to E.164 when they parse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Phone:
    raw: str
    e164: str | None
    digits: str


def digits(text: str) -> str:
    return _NOT_DIGITS.sub("", text)


@lru_cache(maxsize=4096)  # an import matches a number, then stores it: parse it once
def normalise(raw: str, region: str) -> Phone:
    """`raw` kept verbatim; `e164` when phonenumbers finds a possible number."""
    import phonenumbers  # ~20 ms to import: only commands that parse phones pay it

    raw = raw.strip()
    e164 = None
    try:
        parsed = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Phone(raw=raw, e164=e164, digits=digits(raw))


def looks_like_phone(text: str) -> bool:
    """Search/ref text made of digits and phone punctuation, with enough digits."""
    return bool(re.fullmatch(r"[+\d\s().\-]+", text.strip())) and len(digits(text)) >= 4
