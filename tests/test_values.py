"""Parsing at the edge: dates, amounts, phones, names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import dates, money, names
from crmcli.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1967-12-23", date(1967, 12, 23)),
        ("1967/12/23", date(1967, 12, 23)),
        ("1967.12.23", date(1967, 12, 23)),
        ("1967年12月23日", date(1967, 12, 23)),
        ("19800322", date(1980, 3, 22)),
        ("23/12/1967", date(1967, 12, 23)),  # only day-first makes sense
        ("12/23/1967", date(1967, 12, 23)),  # only month-first makes sense
        ("23 Dec 1967", date(1967, 12, 23)),
    ],
)
def test_parse_date_forms(text, expected):
    assert dates.parse_date(text) == expected


def test_ambiguous_dates_are_never_guessed():
    with pytest.raises(dates.AmbiguousDate):
        dates.parse_date("03/01/19")
    assert dates.parse_date("03/01/19", order="DMY") == date(2019, 1, 3)
    assert dates.parse_date("03/01/19", order="MDY") == date(2019, 3, 1)
    assert dates.parse_date("11-08-16", order="MDY") == date(2016, 11, 8)


def test_possible_orders_for_column_inference():
    assert dates.possible_orders("11-08-16") == {"YMD", "DMY", "MDY"}
    assert dates.possible_orders("11-23-16") == {"MDY"}
    assert dates.possible_orders("23-11-2016") == {"DMY"}


@pytest.mark.parametrize("bad", ["1985-02-30", "hello", "2020-13-01", "", "32/32/32"])
def test_bad_dates_are_refused(bad):
    with pytest.raises(InvalidValue):
        dates.parse_date(bad)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_iso_and_compact_round_trip(d):
    assert dates.parse_date(d.isoformat()) == d
    assert dates.parse_date(d.strftime("%Y%m%d")) == d
    assert dates.parse_date(f"{d.year}年{d.month}月{d.day}日") == d


@pytest.mark.parametrize(
    ("text", "stored"),
    [("--0203", "--02-03"), ("--02-29", "--02-29"), ("02-03", "--02-03"), ("2月3日", "--02-03")],
)
def test_days_without_a_year(text, stored):
    assert dates.parse_day(text) == stored


def test_spans():
    from dateutil.relativedelta import relativedelta

    assert dates.parse_span("3d") == relativedelta(days=3)
    assert dates.parse_span("1y6m") == relativedelta(years=1, months=6)
    with pytest.raises(InvalidValue):
        dates.parse_span("soon")


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
    ("name", "family", "given", "patronymic"),
    [
        ("김민준", "김", "민준", None),
        ("남궁민수", "남궁", "민수", None),
        ("山田 太郎", "山田", "太郎", None),
        ("山田太郎", "山田", "太郎", None),  # a common Japanese surname
        ("上原優", "上原", "優", None),
        ("伴雅博", None, None, None),  # kanji alone, no surname we know: kept whole
        ("王小明", None, None, None),  # kanji alone is never split as Chinese
        ("张小明", "张", "小明", None),  # a simplified-only form says Chinese
        ("欧阳娜娜", "欧阳", "娜娜", None),
        ("Անի Արմենի Պետրոսյան", "Պետրոսյան", "Անի", "Արմենի"),
        ("Ani Armenovna Petrosyan", "Petrosyan", "Ani", "Armenovna"),
        ("Петров Иван Сергеевич", "Петров", "Иван", "Сергеевич"),
        ("John Smith", "Smith", "John", None),
        ("Smith, John", "Smith", "John", None),
    ],
)
def test_split_name(name, family, given, patronymic):
    assert names.split_name(name) == names.NameParts(family, given, patronymic)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(name="김민준", family="김", given="민준"), "김민준 고객님"),
        (dict(name="김민준", family="김", given="민준", style="friendly"), "민준 님"),
        (dict(name="山田 太郎", family="山田", given="太郎"), "山田様"),
        (dict(name="山田太郎", family=None, given=None), "山田太郎様"),
        (dict(name="王小明", family="王", given="小明", gender="M", locale="zh"), "王先生"),
        (dict(name="上原優", family=None, given=None, gender="F"), "上原優様"),
        (
            dict(
                name="Ani Armenovna Petrosyan",
                family="Petrosyan",
                given="Ani",
                patronymic="Armenovna",
            ),
            "Ani Armenovna",
        ),
        (dict(name="John Smith", family="Smith", given="John", gender="male"), "Mr Smith"),
        # Formal without a known gender: the whole name (issue 12), never "John" alone.
        (dict(name="John Smith", family="Smith", given="John"), "John Smith"),
        (dict(name="John Smith", family="Smith", given="John", style="friendly"), "John"),
    ],
)
def test_salutations(kwargs, expected):
    assert names.salutation(**kwargs) == expected
