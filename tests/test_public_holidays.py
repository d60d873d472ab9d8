"""The curated greeting holidays per country (issue 12 item 3)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest

from crmcli import public_holidays
from crmcli.public_holidays import GREETING_HOLIDAYS, GreetRules, greeting_holidays

YEARS = range(2024, 2031)
# Days no shop sends good wishes for, by the package's English names.
MOURNING = re.compile(r"memorial|remembrance|tomb|mourning|genocide|fallen|victims", re.I)
LANGUAGE = {"KR": "ko", "CN": "zh_CN", "TW": "zh_TW", "JP": "ja", "AM": "hy", "RU": "ru"}


def _english(country: str, year: int) -> dict[date, str]:
    return public_holidays.raw(country, [year], language="en_US")


@pytest.mark.parametrize("country", sorted(GREETING_HOLIDAYS))
def test_never_a_memorial_day_and_each_festival_once_a_year(country):
    for year in YEARS:
        found = greeting_holidays(country, year, language=LANGUAGE.get(country, "en_US"))
        assert found, (country, year)
        english = _english(country, year)
        for h in found:
            assert h.day.year == year
            assert not MOURNING.search(english[h.day]), (country, h)
        ids = [h.festival for h in found]
        assert len(ids) == len(set(ids)), (country, year, ids)


def test_korean_defaults_are_new_year_seollal_chuseok_christmas():
    found = greeting_holidays("KR", 2026, language="ko")
    assert [(h.day.isoformat(), h.name) for h in found] == [
        ("2026-01-01", "신정"),
        ("2026-02-17", "설날"),  # not 설날 전날 (16th) nor the day after
        ("2026-09-25", "추석"),
        ("2026-12-25", "성탄절"),
    ]


@pytest.mark.parametrize(
    ("country", "year", "festival", "day"),
    [
        ("CN", 2026, "spring-festival", "2026-02-17"),  # eve 16th, then three days
        ("TW", 2026, "spring-festival", "2026-02-17"),  # two eves
        ("AM", 2027, "new-year", "2027-01-01"),  # eve on 31 December 2026
        ("RU", 2026, "new-year", "2026-01-01"),  # eight days, Christmas in between
        ("CN", 2026, "national-day", "2026-10-01"),
        ("GB", 2026, "christmas", "2026-12-25"),  # Boxing Day belongs to it
    ],
)
def test_a_festival_over_several_days_is_one_greeting_on_its_main_day(country, year, festival, day):
    found = [h for h in greeting_holidays(country, year) if h.festival == festival]
    assert [h.day.isoformat() for h in found] == [day]


def test_the_eve_in_the_year_before_is_not_greeted_on_its_own():
    found = greeting_holidays("AM", 2026)
    assert date(2026, 12, 31) not in {h.day for h in found}


def test_added_and_skipped_by_name_id_or_country():
    rules = GreetRules(
        add=public_holidays.parse_names("KR:어린이날, Labor Day"),
        skip=public_holidays.parse_names("christmas, KR:신정"),
    )
    kr = greeting_holidays("KR", 2026, rules=rules, language="ko")
    assert [h.name for h in kr] == ["설날", "노동절", "어린이날", "추석"]
    cn = greeting_holidays("CN", 2026, rules=rules, language="en_US")
    # Labor Day runs two days in China: one greeting; CN keeps its New Year (KR:신정 only).
    assert [h.day.isoformat() for h in cn if h.festival == "labor day"] == ["2026-05-01"]
    assert "new-year" in {h.festival for h in cn}


def test_other_countries_greet_new_year_and_christmas():
    assert [h.festival for h in greeting_holidays("FR", 2026)] == ["new-year", "christmas"]


@pytest.fixture
def shop(cli):
    cli("config", "set", "agenda.lead.holiday", "0d")
    cli("config", "set", "holidays.greet.prospects", "yes")  # no purchases in this shop
    cli("config", "set", "shop.name", "Bean")
    cli("customers", "add", "--name", "김민준", "--code", "K001", "--phone", "010-1234-5678",
        "--tag", "vip")  # fmt: skip
    return cli


def _rows(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_due_greets_the_default_list_only(shop):
    rows = _rows(shop("due", "--as-of", "2026-01-01", "--days", "365", "--kind", "holiday"))
    assert [r["why"] for r in rows] == [
        "신정 on 2026-01-01",
        "설날 on 2026-02-17",
        "추석 on 2026-09-25",
        "성탄절 on 2026-12-25",
    ]


def test_settings_add_and_skip_holidays(shop):
    shop("config", "set", "holidays.greet.add", "어린이날")
    shop("config", "set", "holidays.greet.skip", "KR:christmas, 신정")
    rows = _rows(shop("due", "--as-of", "2026-01-01", "--days", "365", "--kind", "holiday"))
    assert [r["why"].split(" on ")[0] for r in rows] == ["설날", "어린이날", "추석"]


def test_greet_says_the_curated_name(shop):
    rows = _rows(shop("greet", "--as-of", "2026-12-25", "--fields", "message"))
    assert rows[0]["message"] == "김민준 고객님, 즐겁고 행복한 성탄절 보내세요! Bean 드림"


def test_readme_documents_the_table():
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for country, fests in GREETING_HOLIDAYS.items():
        [line] = [x for x in text.splitlines() if x.startswith(f"| {country} |")]
        for f in fests:
            assert f.local in line, (country, f.local)


# --- between, names per customer, the cache --------------------------------------------


def test_between_takes_both_ends_across_years_and_countries():
    found = public_holidays.between(
        date(2025, 12, 25), date(2026, 2, 17), country_list=["KR", "JP"], language="ko"
    )
    assert [(h.day, h.country, h.festival) for h in found] == [
        (date(2025, 12, 25), "KR", "christmas"),
        (date(2026, 1, 1), "KR", "new-year"),
        (date(2026, 2, 17), "KR", "seollal"),
        (date(2026, 1, 1), "JP", "new-year"),
    ]
    assert found[2].name == "설날"  # the curated name in the shop's language
    assert (
        public_holidays.between(
            date(2026, 2, 1), date(2026, 1, 1), country_list=["KR"], language="ko"
        )
        == []
    )  # an empty range


def test_a_customer_reads_a_holiday_in_their_own_language(db):
    [seollal] = [h for h in greeting_holidays("KR", 2026, language="ko") if h.festival == "seollal"]
    assert public_holidays.name_for(seollal, locale="ko", fallback="ko", db=db) == "설날"
    # A customer who does not share the shop's language: English when theirs is missing.
    assert public_holidays.name_for(seollal, locale="en", fallback="ko", db=db) == (
        "Korean New Year"
    )
    [new_year] = [h for h in greeting_holidays("JP", 2026, language="ko") if h.day.month == 1]
    assert public_holidays.name_for(new_year, locale="ja", fallback="ko", db=db) == "お正月"


def test_a_years_list_is_kept_in_the_database_and_read_from_there(db):
    days = public_holidays.raw("KR", [2026], language="ko", db=db)
    assert days[date(2026, 3, 1)] == "삼일절"
    kept = db.execute(
        "SELECT days FROM holiday_cache WHERE country = 'KR' AND language = 'ko' AND year = 2026"
    ).fetchone()
    assert kept is not None and "삼일절" in kept[0]
    # What is kept is what is read: a changed cache row is believed (no package import).
    db.execute(
        'UPDATE holiday_cache SET days = \'{"2026-03-01": "kept"}\''
        " WHERE country = 'KR' AND language = 'ko' AND year = 2026"
    )
    assert public_holidays.raw("KR", [2026], language="ko", db=db) == {date(2026, 3, 1): "kept"}


def test_the_cache_never_writes_inside_someone_elses_transaction(db):

    with db.write():
        public_holidays.raw("KR", [2031], language="ko", db=db)
        assert db.in_transaction
    assert db.execute("SELECT count(*) FROM holiday_cache WHERE year = 2031").fetchone()[0] == 0
