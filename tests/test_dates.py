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


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("23 Dec", "has no year"),
        ("Dec 2020x", "is not a date"),
        ("Mar 1 1850", "outside the dates crmcli handles, 1900-01-01 to 2200-12-31"),
        ("02-03", "is not a date"),  # a day without a year is parse_day's, not a date
        ("31/02/2020", "is not a real date"),
    ],
)
def test_dates_in_words_or_without_a_year_are_refused_with_the_reason(text, said):
    with pytest.raises(InvalidValue, match=said):
        dates.parse_date(text)


def test_written_month_names_and_two_digit_years():
    assert dates.parse_date("December 23, 1967") == date(1967, 12, 23)
    assert dates.parse_date("23/12/69") == date(2069, 12, 23)  # 00-69: the 2000s
    assert dates.parse_date("23/12/70") == date(1970, 12, 23)  # 70-99: the 1900s


def test_days_without_a_year_in_either_order():
    assert dates.parse_day("03-02", order="DMY") == "--02-03"
    assert dates.parse_day("03/02", order="DMY") == "--02-03"
    assert dates.parse_day("2月29日", order="DMY") == "--02-29"  # 月 says which is the month
    assert dates.parse_day("1985-03-14") == "1985-03-14"
    for bad in ("--02-30", "13-01"):
        with pytest.raises(InvalidValue, match="not a real date"):
            dates.parse_day(bad)


def test_month_day_and_year_of_a_stored_day():
    assert dates.month_day("--02-29") == (2, 29) and dates.year_of("--02-29") is None
    assert dates.month_day("1985-03-14") == (3, 14) and dates.year_of("1985-03-14") == 1985


def test_possible_orders_of_what_is_no_date():
    assert dates.possible_orders("31/2/2020") == set()
    assert dates.possible_orders("hello") == set()
    assert dates.possible_orders("1/2/2020") == {"DMY", "MDY"}


def test_spans_add_up_and_stay_within_the_calendar():
    from dateutil.relativedelta import relativedelta

    assert dates.parse_span("2w3d") == relativedelta(days=17)
    assert dates.parse_span(" 3 D ") == relativedelta(days=3)
    assert dates.parse_span("0000001d") == relativedelta(days=1)  # leading zeros are no length
    for too_long in ("1000000d", "9" * 5000 + "d", "301y"):
        with pytest.raises(InvalidValue, match="too long: at most 300 years"):
            dates.parse_span(too_long, what="--every")
    assert dates.span_days(relativedelta(years=1, months=2, weeks=1)) == 366 + 62 + 7


def test_shift_and_agenda_end_refuse_to_leave_the_calendar():
    from datetime import timedelta

    from dateutil.relativedelta import relativedelta

    assert dates.shift(date(2026, 1, 31), relativedelta(months=1), what="x") == date(2026, 2, 28)
    with pytest.raises(InvalidValue, match="x from 2200-12-30 goes past the dates"):
        dates.shift(date(2200, 12, 30), timedelta(days=5), what="x")
    with pytest.raises(InvalidValue, match="goes past"):
        dates.shift(date(1900, 1, 1), relativedelta(years=-9999), what="y")  # no OverflowError
    assert dates.agenda_end(date(2026, 1, 1), 1) == date(2026, 1, 1)
    assert dates.agenda_end(date(2026, 1, 1), 7) == date(2026, 1, 7)
    for days in (0, dates.MAX_AGENDA_DAYS + 1):
        with pytest.raises(InvalidValue, match="--days must be from 1 to 3660"):
            dates.agenda_end(date(2026, 1, 1), days)


def test_command_line_dates_are_iso_only():
    assert dates.iso_date(" 2026-01-05 ") == date(2026, 1, 5)
    with pytest.raises(InvalidValue, match="--as-of must be YYYY-MM-DD, not '2026-1-5'"):
        dates.iso_date("2026-1-5", what="--as-of")
    with pytest.raises(InvalidValue, match="--as-of: '2030-02-30' is not a real date"):
        dates.iso_date("2030-02-30", what="--as-of")  # the shape is right: say what is wrong
    with pytest.raises(InvalidValue, match="outside the dates"):
        dates.iso_date("1899-12-31")


def test_now_and_today():
    from datetime import datetime, timedelta, timezone

    stamp = datetime.fromisoformat(dates.now_utc())
    assert stamp.utcoffset() == timedelta(0) and stamp.microsecond == 0
    assert abs(stamp - datetime.now(timezone.utc)) < timedelta(minutes=1)
    # The shop's zone decides the day: never more than a day from the system's.
    for zone in ("", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Seoul"):
        assert abs((dates.today(zone) - date.today()).days) <= 1
    assert dates.shown("x" * 50) == repr("x" * 40 + "…")
