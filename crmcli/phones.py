"""Phone numbers: kept as written, and normalised to E.164 when they parse."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Phone:
    raw: str
    e164: str | None
    digits: str
    # The region the number was read in, when that mattered: written without a country
    # code (or not understood at all). None when the number carries its own country code.
    region: str | None = None


def digits(text: str) -> str:
    return _NOT_DIGITS.sub("", text)


@lru_cache(maxsize=4096)  # an import matches a number, then stores it: parse it once
def normalise(raw: str, region: str) -> Phone:
    """`raw` kept verbatim; `e164` when phonenumbers finds a possible number."""
    import phonenumbers  # ~20 ms to import: only commands that parse phones pay it

    raw = raw.strip()
    region = region.upper()
    e164 = None
    try:
        parsed = phonenumbers.parse(raw, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        parsed = None
    # All zeros is no number: phonenumbers would "format" it as its raw input (+82000.).
    if parsed is not None and parsed.national_number and phonenumbers.is_possible_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    own_code = parsed is not None and (
        parsed.country_code_source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
    )
    return Phone(raw=raw, e164=e164, digits=digits(raw), region=None if own_code else region)


def normalise_known(raw: str, region: str, known: Sequence[str] = ()) -> Phone:
    """As `normalise`, but a number whose international form is `known` (a file that gives
    both, as crmcli's export does) is read in that form's country, whatever `region` is."""
    phone = normalise(raw, region)
    if not known or phone.e164 in known:
        return phone
    for e164 in known:
        other = region_of(e164)
        if other and other != region.upper():
            candidate = normalise(raw, other)
            if candidate.e164 == e164:
                return candidate
    return phone


@lru_cache(maxsize=1024)
def region_of(e164: str) -> str | None:
    """The region ('JP', 'KR'…) an international number belongs to; None if it is none."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return None if region in (None, "ZZ", "001") else region


def looks_like_phone(text: str) -> bool:
    """Search/ref text made of digits and phone punctuation, with enough digits."""
    return bool(re.fullmatch(r"[+\d\s().\-]+", text.strip())) and len(digits(text)) >= 4
