"""Phone numbers: kept as written, and normalised to E.164 when they parse."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

_NOT_DIGITS = re.compile(r"\D")


class Phone(NamedTuple):
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
    raw = raw.strip()
    region = region.upper()
    return _plain_number(raw, region) or _parsed(raw, region)


def _parsed(raw: str, region: str) -> Phone:
    """What `phonenumbers.parse` makes of any number, however it is written."""
    import phonenumbers  # ~20 ms to import: only commands that parse phones pay it

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


# --- the plain numbers' fast path ----------------------------------------------------------
#
# `phonenumbers.parse` takes ~45 µs a number, most of it spent on what a plain number does
# not have (letters, full-width digits, extensions, `tel:` URIs, several number starts):
# the whole of a customer import's phones at 100k customers. A number written with ASCII
# digits and the usual separators (`010-1234-5678`, `+82 10 1234 5678`, `(555) 123-4567`)
# goes through the same steps as parse, in the same order, with phonenumbers' own metadata
# and its own prefix and length rules, only without the general machinery; anything the
# steps below do not settle (an international call prefix, a number starting with the
# region's own country code or a zero after it, an unknown region…) is parsed in full.
# tests/test_phones.py compares both over thousands of numbers in every region.

_PLAIN = re.compile(r"\+?\(?[0-9][0-9 ().\-]*[0-9]")
_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' limits on a national significant number


@lru_cache(maxsize=512)
def _region_rules(region: str) -> tuple[Any, re.Pattern[str] | None, str] | None:
    """A region's metadata, its international call prefix and its country code, if known."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    idd = re.compile(metadata.international_prefix) if metadata.international_prefix else None
    return metadata, idd, str(metadata.country_code)


@lru_cache(maxsize=512)
def _country_rules(code: int) -> Any:
    """The metadata phonenumbers reads a number of this country code with (its main region's)."""
    import phonenumbers

    return phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code)
    )


@lru_cache(maxsize=1)
def _parse_steps() -> tuple[Any, ...] | None:
    """The steps of phonenumbers' parse the fast path takes; None if a release renamed
    them (its private names): then every number is parsed in full, as before."""
    try:
        from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
        from phonenumbers.phonenumberutil import (
            ValidationResult,
            _maybe_strip_national_prefix_carrier_code,
            _test_number_length,
        )
    except ImportError:
        return None
    return (
        COUNTRY_CODE_TO_REGION_CODE,
        ValidationResult,
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
    )


def _plain_number(raw: str, region: str) -> Phone | None:
    """`_parsed(raw, region)` for a plain number, else None (the caller parses in full)."""
    rules = _parse_steps()
    if rules is None or not _PLAIN.fullmatch(raw):
        return None
    (
        COUNTRY_CODE_TO_REGION_CODE,
        ValidationResult,
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
    ) = rules
    number = _NOT_DIGITS.sub("", raw)
    if len(number) < 4:
        return None
    if raw[0] == "+":
        if number[0] == "0":
            return None
        for size in (1, 2, 3):  # parse's own rule: the shortest known code wins
            code = int(number[:size])
            if code in COUNTRY_CODE_TO_REGION_CODE:
                break
        else:
            return None
        national = number[size:]
        strip_rules = _country_rules(code)
        read_in = None  # the number carries its own country code
    else:
        rules = _region_rules(region)
        if rules is None:
            return None
        strip_rules, idd, own_code = rules
        if (idd is not None and idd.match(number)) or number.startswith(own_code):
            return None
        code, national, read_in = strip_rules.country_code, number, region
    if len(national) < _MIN_NSN:
        return None
    _carrier, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, strip_rules)
    if _test_number_length(stripped, strip_rules) not in (
        ValidationResult.TOO_SHORT,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        ValidationResult.INVALID_LENGTH,
    ):
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN or national[0] == "0":
        return None  # parse's errors, and Italian leading zeros: its own way
    possible = _test_number_length(national, _country_rules(code)) in (
        ValidationResult.IS_POSSIBLE,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    )
    e164 = f"+{code}{national}" if possible else None
    return Phone(raw=raw, e164=e164, digits=number, region=read_in)


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
