"""recurrence: an RRULE in words for a person, or shown as written when words would lie."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli.followups import parse_every
from crmcli.recurrence import describe, ordinal


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1", "monthly, on the last day"),
        (
            "FREQ=MONTHLY;BYMONTHDAY=30,-1;BYSETPOS=1",
            "monthly, on the 30th (the last day in shorter months)",
        ),
        ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("FREQ=DAILY", "daily"),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29,-1;BYSETPOS=1",
            "yearly, on the last day of February",
        ),
        ("FREQ=MONTHLY;BYDAY=2TU", "monthly, on the second Tuesday"),
        ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "monthly, on the last Friday, 5 times"),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20271231T000000Z",
            "weekly, on Monday, Wednesday and Friday, until 2027-12-31",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=-2", "monthly, on the second-to-last day"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", "yearly, on the 1st of March"),
        ("FREQ=DAILY;BYHOUR=3", "FREQ=DAILY;BYHOUR=3"),  # no words for it: shown as written
    ],
)
def test_recurrence_in_words(rule, words):
    assert describe(rule) == words


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("RRULE:freq=weekly", "weekly"),  # the prefix and the case do not matter
        ("FREQ=YEARLY;INTERVAL=3", "every 3 years"),
        ("FREQ=MONTHLY;INTERVAL=1", "monthly"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15", "monthly, on the 1st and the 15th"),
        ("FREQ=MONTHLY;BYMONTHDAY=2,3,-1", "monthly, on the 2nd, the 3rd and the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=-3", "monthly, on the third-to-last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=-9", "monthly, on the 9th-to-last day"),
        ("FREQ=MONTHLY;BYDAY=-2MO", "monthly, on the second-to-last Monday"),
        ("FREQ=MONTHLY;BYDAY=+1SU", "monthly, on the first Sunday"),
        ("FREQ=YEARLY;BYMONTH=6,12", "yearly, in June and December"),
        ("FREQ=YEARLY;BYMONTH=5;BYDAY=2SU", "yearly, on the second Sunday of May"),
        (
            "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=30,-1;BYSETPOS=1",
            "yearly, on the last day of April",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=30,-1;BYSETPOS=1",
            "yearly, on January 30 (the last day of January in shorter years)",
        ),
        ("FREQ=YEARLY;BYMONTHDAY=31,-1;BYSETPOS=1", "yearly, on the last day"),
        ("FREQ=WEEKLY;UNTIL=20270101", "weekly, until 2027-01-01"),
    ],
)
def test_more_rules_in_words(rule, words):
    assert describe(rule) == words


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "FREQ",  # no value
        "FREQ=HOURLY",
        "FREQ=SECONDLY",
        "INTERVAL=2",  # no FREQ
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=x",
        "FREQ=YEARLY;BYMONTH=13",
        "FREQ=MONTHLY;BYMONTHDAY=x",
        "FREQ=MONTHLY;BYSETPOS=1",  # a position of nothing
        "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=2",
        "FREQ=MONTHLY;BYMONTHDAY=31,-2;BYSETPOS=1",
        "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR",  # Friday the 13th: rare, shown as written
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=DAILY;COUNT=many",
        "FREQ=DAILY;UNTIL=2027",
        "FREQ=DAILY;WKST=MO",  # a part with no words here
    ],
)
def test_a_rule_with_a_part_that_has_no_words_is_shown_as_written(rule):
    assert describe(rule) == rule


@pytest.mark.parametrize(
    ("n", "said"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th"), (112, "112th")],
)  # fmt: skip
def test_ordinal(n, said):
    assert ordinal(n) == said


@given(
    st.integers(min_value=1, max_value=9),
    st.sampled_from("dwmy"),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_every_rule_crmcli_makes_has_words(n, unit, start):
    """`--every 2w` from any start day (month-end rules included) is never shown raw."""
    words = describe(parse_every(f"{n}{unit}", start=start))
    assert "FREQ" not in words and "=" not in words
