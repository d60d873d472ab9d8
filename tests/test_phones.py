"""phones: numbers kept as written, read to E.164 in the region they were written in."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import customers, phones


@pytest.mark.parametrize(
    ("raw", "region", "e164", "kept_region"),
    [
        ("010-1234-5678", "KR", "+821012345678", "KR"),
        ("010-1234-5678", "kr", "+821012345678", "KR"),  # a region in any case
        ("0105551234", "KR", "+82105551234", "KR"),
        ("03-1234-5678", "JP", "+81312345678", "JP"),
        # A number with its own country code is read in that country, whatever the region;
        # the region it was read in is then not worth keeping.
        ("+81 90-1234-5678", "KR", "+819012345678", None),
        ("+1-418-656-9254 ext. 102", "US", "+14186569254", None),
    ],
)
def test_numbers_are_read_to_e164_in_their_region(raw, region, e164, kept_region):
    phone = phones.normalise(raw, region)
    assert (phone.raw, phone.e164, phone.region) == (raw, e164, kept_region)


def test_the_same_digits_mean_different_numbers_in_different_regions():
    assert phones.normalise("090-1234-5678", "JP").e164 == "+819012345678"
    assert phones.normalise("090-1234-5678", "KR").e164 == "+829012345678"


@pytest.mark.parametrize("raw", ["abc", "12", "+", "call the shop", "+999 1234", "000.", "0-0"])
def test_what_is_no_number_is_kept_as_written_without_e164(raw):
    phone = phones.normalise(raw, "KR")
    assert phone.raw == raw and phone.e164 is None
    assert phone.region == "KR"  # not understood: the region it was tried in stays known


def test_raw_is_trimmed_but_otherwise_verbatim():
    phone = phones.normalise("  010 1234 5678 \t", "KR")
    assert phone.raw == "010 1234 5678"
    assert phone.digits == "01012345678"
    assert phone.e164 == "+821012345678"


def test_digits_drop_everything_else():
    assert phones.digits("+82 (10) 1234-5678") == "821012345678"
    assert phones.digits("０１０") == "０１０"  # full-width digits are digits too
    assert phones.digits("no digits") == ""


@pytest.mark.parametrize(
    ("e164", "region"),
    [
        ("+821012345678", "KR"),
        ("+819012345678", "JP"),
        ("+37491123456", "AM"),
        ("+14186569254", "CA"),  # +1 is shared: the number itself says Canada
        ("+80012345678", None),  # international freephone: no region
        ("+999", None),
        ("junk", None),
        ("", None),
    ],
)
def test_region_of_an_international_number(e164, region):
    assert phones.region_of(e164) == region


def test_normalise_known_reads_a_number_in_the_country_of_its_known_e164():
    # crmcli's export writes both forms: a Japanese number imported with region KR.
    phone = phones.normalise_known("090-1234-5678", "KR", ["+819012345678"])
    assert (phone.e164, phone.region) == ("+819012345678", "JP")


def test_normalise_known_keeps_the_region_when_it_already_agrees_or_nothing_fits():
    assert phones.normalise_known("010-1234-5678", "KR", ["+821012345678"]).region == "KR"
    assert phones.normalise_known("010-1234-5678", "KR", []).e164 == "+821012345678"
    # The known form is some other number altogether: read in the given region.
    other = phones.normalise_known("090-1234-5678", "KR", ["+819099999999", "+82999"])
    assert (other.e164, other.region) == ("+829012345678", "KR")


@pytest.mark.parametrize(
    ("text", "looks"),
    [
        ("010-1234", True),
        ("+82 (10) 1234.5678", True),
        (" 5678 ", True),
        ("123", False),  # too few digits to be worth a phone search
        ("12a4", False),
        ("Kim 010", False),
        ("", False),
        ("() - .", False),
    ],
)
def test_looks_like_phone(text, looks):
    assert phones.looks_like_phone(text) is looks


@given(st.text(alphabet="0123456789 -+().", max_size=20))
def test_normalise_never_raises_and_keeps_the_digits(raw):
    phone = phones.normalise(raw, "KR")
    assert phone.raw == raw.strip()
    assert phone.digits == phones.digits(raw)
    if phone.e164 is not None:
        assert phone.e164.startswith("+") and phone.e164[1:].isdigit()


def test_a_customer_is_found_by_a_number_written_another_way(db):
    cid = customers.add(db, name="김민준", phones_raw=["010-1234-5678"])
    [phone] = customers.get(db, cid).phones
    assert (phone.raw, phone.e164) == ("010-1234-5678", "+821012345678")
    assert customers.resolve(db, "+82 10 1234 5678") == cid
    assert customers.resolve(db, "01012345678") == cid


# --- the plain numbers' fast path gives what the full parse gives ------------------------------

_SEPARATORS = ["", " ", "-", ".", " - "]


def _write(rng: random.Random, digits: str) -> str:
    """`digits` split into groups by random separators, the first group sometimes in ()."""
    groups, i = [], 0
    while i < len(digits):
        size = rng.randint(1, 4)
        groups.append(digits[i : i + size])
        i += size
    if len(groups) > 1 and rng.random() < 0.2:
        groups[0] = f"({groups[0]})"
    return "".join(g + rng.choice(_SEPARATORS) for g in groups[:-1]) + groups[-1]


def _numbers(rng: random.Random, region: str) -> list[str]:
    """Numbers a shop in `region` might be given: its own shapes, mangled, and random ones."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    code = str(metadata.country_code)
    prefixes = ["", "0", "00", "1", code, "0" + code, "00" + code, "011", "001", "8", "810"]
    if metadata.national_prefix:
        prefixes.append(metadata.national_prefix)
    out = []
    for kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    ):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        for style in (
            phonenumbers.PhoneNumberFormat.NATIONAL,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.E164,
        ):
            written = phonenumbers.format_number(example, style)
            out.append(written)
            for _ in range(6):  # other digits in the same shape, a digit more or less
                mangled = "".join(rng.choice("0123456789") if c.isdigit() and rng.random() < 0.4
                                  else c for c in written)  # fmt: skip
                out.append(mangled)
                out.append(
                    mangled[:-1] if rng.random() < 0.5 else mangled + rng.choice("0123456789")
                )
        national = str(example.national_number)
        for prefix in prefixes:
            out.append(_write(rng, prefix + national))
            out.append("+" + _write(rng, prefix + national))
    for _ in range(40):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 19)))
        out.append(rng.choice(["", "+", "+" + code]) + _write(rng, rng.choice(prefixes) + digits))
    return out


def test_plain_numbers_read_fast_are_read_as_the_full_parse_reads_them():
    """Every region phonenumbers knows, ~150 numbers each (its example numbers in each
    format, the same shapes with other digits, prefixes, country codes, random digits):
    where the fast path answers, its answer is the full parse's."""
    import phonenumbers

    rng = random.Random(17)
    fast = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        numbers = _numbers(rng, region)
        taken = 0
        for raw in numbers:
            quick = phones._plain_number(raw.strip(), region)
            if quick is not None:
                taken += 1
                assert quick == phones._parsed(raw.strip(), region), (raw, region)
        fast[region] = taken / len(numbers)
    # Not a test that cannot fail: most numbers of the shops' usual regions go the fast way.
    for region in ("KR", "JP", "CN", "TW", "HK", "AM", "RU", "US", "GB", "DE", "FR"):
        assert fast[region] > 0.5, (region, fast[region])


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("010-1234-5678", "KR"),
        ("+82 10-1234-5678", "KR"),
        ("+82 010-1234-5678", "KR"),  # the national prefix after the country code
        ("+1 (555) 123-4567", "KR"),
        ("(02) 1234-5678", "KR"),
        ("03-1234-5678", "JP"),
        ("+374 10 123456", "US"),
        ("8 (912) 345-67-89", "RU"),
    ],
)
def test_usual_numbers_take_the_fast_path(raw, region):
    quick = phones._plain_number(raw, region)
    assert quick is not None and quick == phones._parsed(raw, region)


def test_numbers_are_parsed_in_full_when_phonenumbers_lacks_the_fast_paths_steps(monkeypatch):
    """The fast path borrows private steps of phonenumbers' parse; a release without them
    leaves every number to the full parse, never an error."""
    monkeypatch.setattr(phones, "_parse_steps", lambda: None)
    phones.normalise.cache_clear()
    try:
        assert phones._plain_number("010-1234-5678", "KR") is None
        assert phones.normalise("010-1234-5678", "KR").e164 == "+821012345678"
    finally:
        phones.normalise.cache_clear()
