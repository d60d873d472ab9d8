"""dates: parsing at the edge (every written form, never a guess), days without a year, spans."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import dates
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
