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
