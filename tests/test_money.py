"""money: amounts exact in micro-units, read in any written form, shown without losing precision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import money
from crmcli.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("1,234.50", 1_234_500_000),
        ("1.234,50", 1_234_500_000),
        ("₩10,000", 10_000_000_000),
        ("957.5775", 957_577_500),
        ("(12.50)", -12_500_000),
        ("-3", -3_000_000),
        ("1,5", 1_500_000),
        ("1 234,5", 1_234_500_000),
    ],
)
def test_parse_amount(text, micros):
    assert money.parse_amount(text) == micros


def test_decimal_comma_is_explicit_when_the_file_says_so():
    assert money.parse_amount("1,234", decimal_comma=True) == 1_234_000
    assert money.parse_amount("1,234", decimal_comma=False) == 1_234_000_000


@pytest.mark.parametrize("bad", ["abc", "", "1.2.3,4,5", "0.0000001", "--"])
def test_bad_amounts(bad):
    with pytest.raises(InvalidValue):
        money.parse_amount(bad)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False))
def test_amounts_round_trip_exactly(value):
    micros = money.parse_amount(f"{value:f}")
    assert money.to_decimal(micros) == value
    assert Decimal(money.plain_amount(micros)) == value


def test_format_amount_never_hides_precision():
    assert money.format_amount(957_577_500, places=2) == "957.5775"
    assert money.format_amount(10_000_000_000, places=0) == "10,000"
    assert money.format_amount(1_500_000, places=2) == "1.50"


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("12-", -12_000_000),  # a trailing minus, as some ledgers write
        ("(12-)", 12_000_000),  # both: a minus of a minus
        ("+5", 5_000_000),
        ("−7", -7_000_000),  # the Unicode minus sign
        ("1.234.567", 1_234_567_000_000),  # dots as thousands separators
        ("USD 12.50", 12_500_000),
        ("€1.234,56", 1_234_560_000),
        ("1 234 567,89", 1_234_567_890_000),
        ("１２", 12_000_000),  # full-width digits are digits
        ("0.000001", 1),
    ],
)
def test_more_written_forms_of_amounts(text, micros):
    assert money.parse_amount(text) == micros


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("12.3456789", "has more than six decimals"),
        ("1" * 41, "larger than the largest amount, 1,000,000,000,000"),
        ("1000000000001", "larger than the largest amount"),
        ("12 apples", "is not an amount"),
    ],
)
def test_amounts_out_of_range_are_refused_saying_why(text, said):
    with pytest.raises(InvalidValue, match=said):
        money.parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("2.5", Decimal("2.5")), ("1,000", 1000), ("-2", -2), ("1000000000", 10**9)],
)
def test_quantities(text, expected):
    found = money.parse_quantity(text)
    assert found == expected and type(found) is type(expected)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("12345678901", "beyond 1,000,000,000"),
        ("1000000001", "beyond 1,000,000,000"),
        ("1.1234567", "more than six decimals"),
        ("nan", "is not a quantity"),
        ("1e5", "is not a quantity"),
        ("Infinity", "is not a quantity"),
    ],
)
def test_quantities_that_are_refused(text, said):
    with pytest.raises(InvalidValue, match=said):
        money.parse_quantity(text)
    assert money.parse_quantity("2,5", decimal_comma=True) == Decimal("2.5")


def test_minor_units_per_currency_and_the_override():
    assert [money.minor_units(c) for c in ("krw", "JPY", "USD", "KWD", "XYZ")] == [0, 0, 2, 3, 2]
    assert money.minor_units("USD", "0") == 0


def test_money_is_exact_and_known_by_its_type():
    amount = money.to_decimal(2_000_000_000)
    assert isinstance(amount, money.Money) and amount == Decimal(2000)
    assert money.plain_amount(2_000_000_000) == "2000"  # never "2E+3"
    assert money.plain_amount(-12_500_000) == "-12.5"
    assert money.plain_amount(None) == money.format_amount(None) == ""
    assert money.format_amount(12_345_678_900_000, grouping=False) == "12345678.90"
