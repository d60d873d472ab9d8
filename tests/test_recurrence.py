"""recurrence: an RRULE in words for a person, or shown as written when words would lie."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import i18n
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


@pytest.fixture
def language(monkeypatch: pytest.MonkeyPatch):
    def use(name: str) -> None:
        monkeypatch.setenv("LANGUAGE", name)

    return use


@pytest.mark.parametrize(
    ("lang", "rule", "words"),
    [
        ("ko", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "2주마다 월요일"),
        (
            "ko",
            "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20271231T000000Z",
            "매주 월요일, 수요일, 금요일, 2027-12-31까지",
        ),
        ("ko", "FREQ=MONTHLY;BYMONTHDAY=30,-1;BYSETPOS=1", "매월 30일 (짧은 달에는 마지막 날)"),
        ("ja", "FREQ=MONTHLY;BYDAY=2TU", "毎月、第2火曜日"),
        ("ja", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "毎月、最終金曜日、5回"),
        ("zh_CN", "FREQ=YEARLY;BYMONTH=5;BYDAY=2SU", "每年5月的第二个星期日"),
        ("zh_CN", "FREQ=MONTHLY;BYMONTHDAY=1,15", "每月1日和15日"),
        ("zh_TW", "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1", "每月最後一天"),
        ("zh_TW", "FREQ=DAILY;INTERVAL=3", "每3天"),
        ("hy", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "ամեն ամիս, վերջին ուրբաթ, 5 անգամ"),
        (
            "hy",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29,-1;BYSETPOS=1",
            "ամեն տարի, փետրվարի վերջին օրը",
        ),
        ("hy", "FREQ=DAILY;WKST=MO", "FREQ=DAILY;WKST=MO"),  # no words for it, in any language
    ],
)
def test_a_rule_reads_whole_in_the_readers_language(language, lang, rule, words):
    language(lang)
    assert describe(rule, translated=True) == words
    assert describe(rule) == describe(rule, translated=False)  # the core's words stay English
    language("en")
    assert describe(rule, translated=True) == describe(rule)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20271231T000000Z",
        "FREQ=MONTHLY;BYMONTHDAY=2,3,-1",
        "FREQ=MONTHLY;BYMONTHDAY=-9",
        "FREQ=MONTHLY;BYDAY=-2MO",
        "FREQ=YEARLY;BYDAY=21TH",
        "FREQ=YEARLY;BYMONTH=6,12",
        "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=30,-1;BYSETPOS=1",
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1;COUNT=1",
        "FREQ=DAILY;INTERVAL=2;COUNT=3",
    ],
)
def test_no_english_word_is_left_in_a_translated_rule(language, lang, rule):
    language(lang)
    said = describe(rule, translated=True)
    assert said != rule and not re.search(r"[A-Za-z]", said), said
    # the English it was made from, remembered: a screen showing it says the same words
    assert i18n.translate(describe(rule)) == said


@given(
    st.sampled_from(i18n.LANGUAGES),
    st.integers(min_value=1, max_value=9),
    st.sampled_from("dwmy"),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_every_rule_crmcli_makes_has_words_in_every_language(lang, n, unit, start):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANGUAGE", lang)
        words = describe(parse_every(f"{n}{unit}", start=start), translated=True)
    assert not re.search(r"[A-Za-z=]", words), words
